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
