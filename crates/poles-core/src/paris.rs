//! Deadlines are instants in Europe/Paris. The programme states them as a day (and sometimes
//! an hour) in Paris; this module turns that into a Unix instant and back, and writes it in
//! the reader's language with the time zone named.
//!
//! No time-zone database is shipped for one zone: the European Union's summer-time rule
//! (Directive 2000/84/EC, the same rule since 1996) is a few lines — summer time (UTC+2)
//! runs from the last Sunday of March at 01:00 UTC to the last Sunday of October at 01:00
//! UTC, winter time is UTC+1. Dates before 1996 are computed with the same rule (France's
//! earlier changeovers differed slightly); the programme's deadlines are all later.

use crate::date::{days_in_month, Date};
use crate::Lang;

/// Days from 1970-01-01 to `d` (civil-to-days conversion).
pub fn days_of(d: Date) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()) - i64::from(d.month() <= 2),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The last Sunday of a month, as days from 1970-01-01.
fn last_sunday(year: i32, month: u8) -> i64 {
    let last = Date::new(year, month, days_in_month(year, month)).map_or(0, days_of);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

/// The offset of Paris from UTC, in seconds, at a Unix instant.
pub fn offset_at(unix: i64) -> i64 {
    let year = Date::from_days(unix.div_euclid(86_400)).year();
    let start = last_sunday(year, 3) * 86_400 + 3_600;
    let end = last_sunday(year, 10) * 86_400 + 3_600;
    if (start..end).contains(&unix) {
        7_200
    } else {
        3_600
    }
}

/// The Unix instant of a Paris wall-clock time (`seconds` since local midnight). In the
/// hour that does not exist (spring) the summer offset is used; in the hour that happens
/// twice (autumn), the first.
pub fn instant_of(day: Date, seconds: i64) -> i64 {
    let local = days_of(day) * 86_400 + seconds;
    let summer = local - 7_200;
    if offset_at(summer) == 7_200 {
        summer
    } else {
        local - 3_600
    }
}

/// A deadline: a day and a time of day in Paris. Stored deadlines are a day: the call closes
/// at the end of it ([`Deadline::end_of`], 23:59:59 Paris time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub day: Date,
    /// Seconds after midnight, Paris time.
    pub seconds: i64,
}

impl Deadline {
    /// The end of a day in Paris (shown as 23:59).
    pub fn end_of(day: Date) -> Deadline {
        Deadline {
            day,
            seconds: 86_399,
        }
    }

    /// At `hour:minute` Paris time on `day`.
    pub fn at(day: Date, hour: u8, minute: u8) -> Deadline {
        Deadline {
            day,
            seconds: i64::from(hour.min(23)) * 3_600 + i64::from(minute.min(59)) * 60,
        }
    }

    /// The instant, in Unix seconds.
    pub fn unix(self) -> i64 {
        instant_of(self.day, self.seconds)
    }

    /// Whether the deadline has passed at the Unix instant `now` (a submission at the very
    /// second is still in time).
    pub fn passed_at(self, now: i64) -> bool {
        now > self.unix()
    }

    /// Whether it has passed now.
    pub fn passed(self) -> bool {
        self.passed_at(now_unix())
    }

    /// In the reader's language with the time zone: "15 mars 2026 à 12:00 (heure de
    /// Paris)", "15 March 2026, 12:00 Paris time".
    pub fn format(self, lang: Lang) -> String {
        let (h, m) = (self.seconds / 3_600, self.seconds % 3_600 / 60);
        let day = self.day.in_words(lang);
        match lang {
            Lang::Fr => format!("{day} à {h:02}:{m:02} (heure de Paris)"),
            Lang::En => format!("{day}, {h:02}:{m:02} Paris time"),
        }
    }
}

/// The current Unix time.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    /// 2026-03-29 and 2026-10-25 are the last Sundays of March and October 2026.
    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        assert_eq!(last_sunday(2026, 3), days_of(d(2026, 3, 29)));
        assert_eq!(last_sunday(2026, 10), days_of(d(2026, 10, 25)));
        assert_eq!(last_sunday(1996, 10), days_of(d(1996, 10, 27)));
        let start = days_of(d(2026, 3, 29)) * 86_400 + 3_600;
        assert_eq!(offset_at(start - 1), 3_600);
        assert_eq!(offset_at(start), 7_200);
        let end = days_of(d(2026, 10, 25)) * 86_400 + 3_600;
        assert_eq!(offset_at(end - 1), 7_200);
        assert_eq!(offset_at(end), 3_600);
        assert_eq!(offset_at(days_of(d(2026, 1, 15)) * 86_400), 3_600);
        assert_eq!(offset_at(days_of(d(2026, 7, 14)) * 86_400), 7_200);
    }

    #[test]
    fn days_round_trip() {
        for days in [-800_000, -1, 0, 1, 10_957, 20_527, 2_932_896] {
            assert_eq!(days_of(Date::from_days(days)), days);
        }
        assert_eq!(days_of(d(1970, 1, 1)), 0);
        assert_eq!(days_of(d(2000, 1, 1)), 10_957);
    }

    #[test]
    fn a_paris_time_is_the_right_instant_in_winter_and_summer() {
        // 15 March 2026 12:00 Paris = 11:00 UTC (winter); 15 June 2026 12:00 = 10:00 UTC.
        assert_eq!(
            Deadline::at(d(2026, 3, 15), 12, 0).unix(),
            days_of(d(2026, 3, 15)) * 86_400 + 11 * 3_600
        );
        assert_eq!(
            Deadline::at(d(2026, 6, 15), 12, 0).unix(),
            days_of(d(2026, 6, 15)) * 86_400 + 10 * 3_600
        );
        // The end of 15 June 2026 in Paris is 21:59:59 UTC.
        let end = Deadline::end_of(d(2026, 6, 15));
        assert_eq!(
            end.unix(),
            days_of(d(2026, 6, 15)) * 86_400 + 21 * 3_600 + 3_599
        );
        assert!(!end.passed_at(end.unix()));
        assert!(end.passed_at(end.unix() + 1));
        // The changeover days themselves: 12:00 on 29 March 2026 is already summer time.
        assert_eq!(
            Deadline::at(d(2026, 3, 29), 12, 0).unix(),
            days_of(d(2026, 3, 29)) * 86_400 + 10 * 3_600
        );
        assert_eq!(
            Deadline::at(d(2026, 10, 25), 12, 0).unix(),
            days_of(d(2026, 10, 25)) * 86_400 + 11 * 3_600
        );
    }

    #[test]
    fn deadlines_are_written_in_the_readers_language_with_the_zone() {
        let k = Deadline::at(d(2026, 3, 15), 12, 0);
        assert_eq!(k.format(Lang::Fr), "15 mars 2026 à 12:00 (heure de Paris)");
        assert_eq!(k.format(Lang::En), "15 March 2026, 12:00 Paris time");
        let first = Deadline::end_of(d(2007, 6, 1));
        assert_eq!(
            first.format(Lang::Fr),
            "1er juin 2007 à 23:59 (heure de Paris)"
        );
        assert_eq!(first.format(Lang::En), "1 June 2007, 23:59 Paris time");
    }
}
