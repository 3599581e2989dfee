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
}
