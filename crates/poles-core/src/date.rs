//! A calendar date, parsed once and strictly: `YYYY-MM-DD` with a day that exists in its
//! month (leap years included). Everything that reads a date (forms, imports, the database)
//! goes through [`Date::parse`]; a value that does not parse is refused, never defaulted.

use crate::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of a year.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if leap(year) => 29,
        _ => 28,
    }
}

impl Date {
    /// A date from its parts, if it exists (years 1000 to 9999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1000..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day))
        .then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` (surrounding spaces ignored); `field` names the input in the refusal.
    pub fn parse(field: &str, raw: &str) -> Result<Date, FieldError> {
        Self::from_iso(raw.trim()).ok_or_else(|| {
            FieldError::coded(
                field,
                "date_format",
                vec![raw.to_string()],
                format!("{raw:?} is not a YYYY-MM-DD date"),
            )
        })
    }

    fn from_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit())
        {
            return None;
        }
        Date::new(
            s[0..4].parse().ok()?,
            s[5..7].parse().ok()?,
            s[8..10].parse().ok()?,
        )
    }

    /// Today, in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days(secs.div_euclid(86_400))
    }

    /// The date `days` days after 1970-01-01 (days-to-civil conversion).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (civil-to-days conversion, the inverse of [`Date::from_days`]).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `n` days later (earlier when negative).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// The month's name in a language: "March", "mars".
    pub fn month_name(month: u8, lang: crate::Lang) -> &'static str {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const FR: [&str; 12] = [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ];
        let k = usize::from(month.clamp(1, 12)) - 1;
        match lang {
            crate::Lang::En => EN[k],
            crate::Lang::Fr => FR[k],
        }
    }

    /// The day in words: "27 March 2023", "27 mars 2023" ("1er" for the first in French).
    pub fn in_words(self, lang: crate::Lang) -> String {
        let day = match (lang, self.day) {
            (crate::Lang::Fr, 1) => "1er".to_string(),
            (_, n) => n.to_string(),
        };
        format!("{day} {} {}", Date::month_name(self.month, lang), self.year)
    }

    /// The same day `months` months later, or the month's last day when it has no such day
    /// (31 January + 1 month = 28 or 29 February).
    pub fn add_months(self, months: i64) -> Option<Date> {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse("date", s)
    }
}

/// For rows: a stored date that does not parse is refused with its value.
impl TryFrom<String> for Date {
    type Error = FieldError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Date::parse("date", &s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::from_iso(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date")))
    }
}

impl PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .into()
    }
}

impl ToSchema for Date {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_days_that_exist_parse() {
        assert_eq!(
            Date::parse("d", " 2024-02-29 ").unwrap().to_string(),
            "2024-02-29"
        );
        assert!(Date::parse("d", "2023-02-29").is_err());
        assert!(Date::parse("d", "1900-02-29").is_err());
        assert!(Date::parse("d", "2000-02-29").is_ok());
        assert!(Date::parse("d", "2023-04-31").is_err());
        assert!(Date::parse("d", "2023-13-01").is_err());
        assert!(Date::parse("d", "2023-1-01").is_err());
        assert!(Date::parse("d", "+023-01-01").is_err());
        assert!(Date::parse("d", "").is_err());
        assert_eq!(Date::parse("when", "x").unwrap_err().field, "when");
    }

    #[test]
    fn months_are_added_to_the_last_day_that_exists() {
        let d = |s| Date::parse("d", s).unwrap();
        assert_eq!(d("2018-01-31").add_months(1), Some(d("2018-02-28")));
        assert_eq!(d("2019-08-31").add_months(6), Some(d("2020-02-29")));
        assert_eq!(d("2018-08-15").add_months(6), Some(d("2019-02-15")));
        assert_eq!(d("2018-08-15").add_months(-8), Some(d("2017-12-15")));
    }

    #[test]
    fn days_round_trip_and_add() {
        for raw in [
            "1970-01-01",
            "2000-02-29",
            "2026-12-03",
            "1969-12-31",
            "2100-03-01",
        ] {
            let d = Date::parse("d", raw).unwrap();
            assert_eq!(Date::from_days(d.days()), d, "{raw}");
        }
        let d = Date::parse("d", "2026-12-03").unwrap();
        assert_eq!(d.add_days(30).to_string(), "2027-01-02");
        assert_eq!(d.add_days(-336).to_string(), "2026-01-01");
        assert_eq!(Date::parse("d", "1970-01-02").unwrap().days(), 1);
    }

    #[test]
    fn days_since_the_epoch_become_dates() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(19_675).to_string(), "2023-11-14");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert!(Date::today() > Date::parse("d", "2024-01-01").unwrap());
    }

    #[test]
    fn dates_order_and_round_trip_through_json() {
        let a = Date::parse("d", "2007-06-01").unwrap();
        let b = Date::parse("d", "2012-01-01").unwrap();
        assert!(a < b);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"2007-06-01\"");
        assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Date>("\"2007-02-30\"").is_err());
    }
}
