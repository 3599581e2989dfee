//! Text normalisation shared by the search index and the importers.

/// Folds a character to lower-case ASCII where a sound folding exists (é → e, Œ → oe).
fn fold(c: char, out: &mut String) {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' | 'ć' | 'č' | 'Č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ő' => {
            "o"
        }
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'ű' | 'ů' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ł' | 'Ł' => "l",
        'š' | 'Š' | 'ś' | 'ş' => "s",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        'ř' => "r",
        _ => {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
            } else {
                out.push(' ');
            }
            return;
        }
    };
    out.push_str(s);
}

/// Lower-case, accent-free, punctuation replaced by single spaces: "Mov'eo — Île" → "mov eo ile".
pub fn normalize(input: &str) -> String {
    let mut raw = String::with_capacity(input.len());
    for c in input.chars() {
        fold(c, &mut raw);
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The distinct search tokens of a query, at most `max` of them.
pub fn tokens(input: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in normalize(input).split(' ') {
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
        if out.len() == max {
            break;
        }
    }
    out
}

/// A URL slug from a name: "System@tic Paris-Région" → "system-tic-paris-region".
pub fn slugify(input: &str) -> String {
    normalize(input)
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The replacement character a decoder writes for bytes it could not read.
pub const LOST: char = '\u{FFFD}';

/// Text read as Latin-1 after being written as UTF-8 ("NuclÃ©aire"), read again as UTF-8
/// ("Nucléaire"); `None` when the text does not look like that or does not decode.
pub fn undo_double_encoding(s: &str) -> Option<String> {
    let suspicious = s
        .chars()
        .zip(s.chars().skip(1))
        .any(|(a, b)| ('\u{C2}'..='\u{F4}').contains(&a) && ('\u{80}'..='\u{BF}').contains(&b));
    if !suspicious || s.chars().any(|c| c as u32 > 0xFF) {
        return None;
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes).ok()
}

/// Words known to be spelled right, to mend words whose letters were lost at the source.
#[derive(Debug, Default)]
pub struct Lexicon {
    /// Folded to lower case, by length in characters.
    words: std::collections::HashMap<usize, std::collections::BTreeSet<String>>,
}

impl Lexicon {
    /// Learns the intact words of a text (those with a letter beyond ASCII: only they can
    /// fill a lost letter).
    pub fn learn(&mut self, text: &str) {
        for w in text.split(|c: char| !c.is_alphanumeric() && c != LOST) {
            if w.contains(LOST) || w.is_ascii() {
                continue;
            }
            let lower = w.to_lowercase();
            self.words
                .entry(lower.chars().count())
                .or_default()
                .insert(lower);
        }
    }

    /// The one known word a damaged word can be (each lost letter one letter beyond ASCII,
    /// the others equal, case aside), in the damaged word's case; `None` when none or several.
    fn mend_word(&self, damaged: &str) -> Option<String> {
        let pattern: Vec<char> = damaged.to_lowercase().chars().collect();
        let candidates = self.words.get(&pattern.len())?;
        let mut found: Option<&String> = None;
        for w in candidates {
            let fits =
                w.chars().zip(&pattern).all(
                    |(c, p)| {
                        if *p == LOST {
                            !c.is_ascii()
                        } else {
                            c == *p
                        }
                    },
                );
            if fits {
                if found.is_some() {
                    return None;
                }
                found = Some(w);
            }
        }
        let word = found?;
        let upper = damaged
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
        Some(if upper {
            word.to_uppercase()
        } else {
            // Keep the damaged word's own letters and case; take only the lost ones.
            damaged
                .chars()
                .zip(word.chars())
                .map(|(d, w)| if d == LOST { w } else { d })
                .collect()
        })
    }

    /// Mends the lost letters of a text where the lexicon allows; answers the text and
    /// whether any lost letter is left.
    pub fn mend(&self, text: &str) -> (String, bool) {
        if !text.contains(LOST) {
            return (text.to_string(), false);
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let mut left = false;
        let flush = |word: &mut String, out: &mut String, left: &mut bool| {
            if word.contains(LOST) {
                match self.mend_word(word) {
                    Some(m) => out.push_str(&m),
                    None => {
                        *left = true;
                        out.push_str(word);
                    }
                }
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if c.is_alphanumeric() || c == LOST {
                word.push(c);
            } else {
                flush(&mut word, &mut out, &mut left);
                out.push(c);
            }
        }
        flush(&mut word, &mut out, &mut left);
        (out, left)
    }
}

/// A cell a spreadsheet would run as a formula (one that starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return), prefixed with `'` so that it shows as text; a plain number
/// (`-3.5`, a fall) is not a formula and stays a number.
pub fn spreadsheet_safe(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) && v.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{v}"))
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_french_and_punctuation() {
        assert_eq!(normalize("Mov'eo — Île-de-France"), "mov eo ile de france");
        assert_eq!(normalize("  Œuvre   ÉCOLE "), "oeuvre ecole");
        assert_eq!(
            slugify("System@tic Paris-Région"),
            "system-tic-paris-region"
        );
        assert_eq!(tokens("the the Cap", 5), vec!["the", "cap"]);
    }

    #[test]
    fn text_damaged_at_the_source_is_mended_where_one_word_fits() {
        assert_eq!(
            undo_double_encoding("NuclÃ©aire").as_deref(),
            Some("Nucléaire")
        );
        assert_eq!(undo_double_encoding("Nucléaire"), None);
        let mut lex = Lexicon::default();
        lex.learn("Compañia Española; Université de Nantes; ÉCOLE");
        assert_eq!(
            lex.mend("OX-COMPA\u{FFFD}IA"),
            ("OX-COMPAÑIA".to_string(), false)
        );
        assert_eq!(
            lex.mend("Universit\u{FFFD} de Lyon"),
            ("Université de Lyon".to_string(), false)
        );
        // No known word fits: the damage is left, and said.
        assert!(lex.mend("Z\u{FFFD}rich").1);
    }
}
