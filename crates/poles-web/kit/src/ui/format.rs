//! Formatting shared by pages: links' query values and amounts in cents.

use poles_core::relief::exact_eur;
use poles_core::Lang;

/// Percent-encodes a query value (letters, digits and `-_.~` pass).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An amount in cents however deeply templates reference it.
pub trait Cents {
    fn cents(&self) -> i64;
}

impl Cents for i64 {
    fn cents(&self) -> i64 {
        *self
    }
}

impl<T: Cents + ?Sized> Cents for &T {
    fn cents(&self) -> i64 {
        (**self).cents()
    }
}

/// Euros to the cent, in the page's language ("1 234,56 €", "€1,234.56").
pub fn euros(cents: impl Cents, lang: Lang) -> String {
    exact_eur(cents.cents(), lang)
}

/// A whole amount in a currency, for budget lines ("$297,000,000", "297 000 000 $").
pub fn amount(cents: i64, currency: &str, lang: Lang) -> String {
    let eur = exact_eur(cents, lang);
    if currency == "EUR" {
        eur
    } else {
        let sign = if currency == "USD" { "$" } else { currency };
        match lang {
            Lang::En => eur.replacen('€', sign, 1),
            Lang::Fr => eur.replace('€', sign),
        }
    }
}

/// A date as a source gives it, in words: "2023", "March 2023" / "mars 2023", or a whole
/// date; anything else as written.
pub fn partial_date(s: &str, lang: Lang) -> String {
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [y] => (*y).to_string(),
        [y, m] => match m.parse::<u8>() {
            Ok(m @ 1..=12) => format!("{} {y}", poles_core::Date::month_name(m, lang)),
            _ => s.to_string(),
        },
        _ => {
            poles_core::Date::parse("date", s).map_or_else(|_| s.to_string(), |d| d.in_words(lang))
        }
    }
}

/// A CSV cell: quoted where needed, and a cell a spreadsheet would run as a formula (one
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with `'`; a
/// plain number (`-3.5`, a fall) is not a formula and stays a number.
pub fn csv_cell(v: &str) -> String {
    let v = poles_core::text::spreadsheet_safe(v);
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.into_owned()
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_cell;

    #[test]
    fn dates_read_as_words_in_both_languages() {
        use super::{partial_date, Lang};
        assert_eq!(partial_date("2023-03-27", Lang::En), "27 March 2023");
        assert_eq!(partial_date("2023-03-01", Lang::Fr), "1er mars 2023");
        assert_eq!(partial_date("2021-04", Lang::Fr), "avril 2021");
        assert_eq!(partial_date("2019", Lang::En), "2019");
    }

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-2"), "-2", "a number");
        assert_eq!(csv_cell("-2+A1"), "'-2+A1");
        assert_eq!(csv_cell("Toulouse"), "Toulouse");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
    }
}
