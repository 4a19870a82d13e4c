//! How commands print: tables for people (ISO 8601 times), JSON for scripts.

use std::io::Write;

/// How a list command shows its rows: JSON objects with `--json`, otherwise a table.
pub(crate) struct Listing<'a, T> {
    pub(crate) headers: &'a [&'a str],
    pub(crate) json: fn(&T) -> serde_json::Value,
    pub(crate) cells: fn(&T) -> Vec<String>,
}

impl<T> Listing<'_, T> {
    pub(crate) fn print(&self, items: &[T], json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        if json {
            let rows: Vec<_> = items.iter().map(self.json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            return Ok(());
        }
        table(out, self.headers, items.iter().map(self.cells).collect())
    }
}

/// A time as tables show it (JSON output keeps epoch seconds).
pub use remote_mcp_core::time::iso8601;

/// Left-aligned columns, two spaces apart.
pub(crate) fn table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| (*h).to_owned()).collect())
    )?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_mcp_core::UnixTime;

    #[test]
    fn times_print_as_iso_8601() {
        assert_eq!(iso8601(UnixTime(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(UnixTime(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(UnixTime(1_796_557_732)), "2026-12-06T11:48:52Z");
        assert_eq!(iso8601(UnixTime(-1)), "1969-12-31T23:59:59Z");
    }
}
