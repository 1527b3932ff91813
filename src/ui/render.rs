//! Tables and plan rendering (plain text, no colour codes: safe to paste and grep).

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use crate::plan::check::{Problem, Severity};

/// A kubectl-style table: header row, columns separated by spaces, no borders.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for row in rows {
        t.add_row(row);
    }
    for col in t.column_iter_mut() {
        col.set_cell_alignment(CellAlignment::Left);
        col.set_padding((0, 2));
    }
    t.lines().map(|l| l.trim_end().to_string()).collect::<Vec<_>>().join("\n")
}

/// Problems as `[ERR] message` / `[WARN] message` lines.
pub fn problems(list: &[Problem]) -> String {
    list.iter()
        .map(|p| {
            let tag = match p.severity {
                Severity::Error => "[ERR] ",
                Severity::Warning => "[WARN]",
            };
            format!("{tag} {}", p.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A byte count in human units.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}B")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_table_without_borders() {
        let t = table(&["A", "BB"], vec![vec!["x".into(), "yy".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("A"));
        assert!(lines[1].starts_with("x"));
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(2048), "2.0K");
    }
}
