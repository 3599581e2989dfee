//! Charts drawn on the server as SVG: horizontal stacked bars with a legend. One small
//! function serves every money chart (budget consumption, relief by scheme and year,
//! funding per region and sector, the simulator's years), so they all read alike and need
//! no script.

use std::fmt::Write;

/// Colours of the series, in order (accessible on white, distinct in greyscale).
const COLOURS: [&str; 6] = [
    "#1f4e79", "#4f81bd", "#c6d9f1", "#e46c0a", "#9bbb59", "#8064a2",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Labels longer than the label column are cut, with an ellipsis (the tooltip keeps it whole).
fn short(label: &str) -> String {
    if label.chars().count() <= 30 {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(29).collect::<String>())
    }
}

/// A row of the chart: its label and one value per series (negative values count as 0).
pub struct Row {
    pub label: String,
    pub values: Vec<i64>,
}

/// Horizontal stacked bars, one per row, scaled to the largest row total. `fmt` writes a
/// value for the tooltips and the totals.
pub fn stacked_bars(
    title: &str,
    series: &[String],
    rows: &[Row],
    fmt: impl Fn(i64) -> String,
) -> String {
    let bar_h = 18;
    let gap = 8;
    let label_w = 210;
    let bar_w = 420;
    let total_w = label_w + bar_w + 130;
    let legend_h = 24;
    let height = 30 + legend_h + rows.len().max(1) as i64 * (bar_h + gap) + 10;
    let max = rows
        .iter()
        .map(|r| r.values.iter().map(|v| (*v).max(0)).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w} {height}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="16" class="chart-title">{t}</text>"#,
        t = esc(title)
    );
    let mut x = 0;
    for (k, name) in series.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="26" width="12" height="12" fill="{c}"/><text x="{tx}" y="36" class="chart-legend">{n}</text>"#,
            c = COLOURS[k % COLOURS.len()],
            tx = x + 16,
            n = esc(name)
        );
        x += 16 + 8 * name.chars().count() as i64 + 18;
    }
    if rows.is_empty() {
        let _ = write!(
            out,
            r#"<text x="0" y="{}" class="chart-empty">—</text>"#,
            30 + legend_h + 14
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let y = 30 + legend_h + r as i64 * (bar_h + gap);
        let _ = write!(
            out,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{l}</text>"#,
            lx = label_w - 8,
            ty = y + bar_h - 5,
            l = esc(&short(&row.label))
        );
        let mut bx = label_w as f64;
        let mut total = 0;
        for (k, v) in row.values.iter().enumerate() {
            let v = (*v).max(0);
            total += v;
            if v == 0 {
                continue;
            }
            let w = v as f64 * bar_w as f64 / max as f64;
            let _ = write!(
                out,
                r#"<rect x="{bx:.1}" y="{y}" width="{w:.1}" height="{bar_h}" fill="{c}"><title>{l} — {s}: {v}</title></rect>"#,
                c = COLOURS[k % COLOURS.len()],
                l = esc(&row.label),
                s = esc(series.get(k).map(String::as_str).unwrap_or("")),
                v = esc(&fmt(v))
            );
            bx += w;
        }
        let _ = write!(
            out,
            r#"<text x="{tx:.1}" y="{ty}" class="chart-total">{v}</text>"#,
            tx = bx + 6.0,
            ty = y + bar_h - 5,
            v = esc(&fmt(total))
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_row_and_escape_labels() {
        let svg = stacked_bars(
            "Budget <2007>",
            &["paid".into(), "committed".into()],
            &[
                Row {
                    label: "A & B".into(),
                    values: vec![50, 50],
                },
                Row {
                    label: "C".into(),
                    values: vec![25, -5],
                },
            ],
            |v| v.to_string(),
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Budget &lt;2007&gt;"));
        assert!(svg.contains("A &amp; B"));
        // The largest row (100) fills 420 px: 50 → 210 px; C's 25 → 105 px, its -5 drawn as 0.
        assert!(svg.contains(r#"width="210.0""#));
        assert!(svg.contains(r#"width="105.0""#));
        assert_eq!(
            svg.matches("<rect x=\"2").count() + svg.matches("<rect x=\"4").count(),
            3
        );
    }
}
