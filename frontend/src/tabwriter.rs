//! The subset of Go's `text/tabwriter` that BuildKit's subrequest printers use (space padding,
//! no flags), so `result.txt` matches what the Dockerfile frontend returns byte for byte.

/// Aligns `\t`-separated cells into columns, each as wide as its widest cell plus `padding`.
/// Column blocks follow Go's rules: a column spans consecutive lines that have a cell there.
pub fn align(text: &str, padding: usize) -> String {
    let mut lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    // A trailing newline ends the last line rather than starting an empty one.
    let ends_with_newline = text.ends_with('\n');
    if ends_with_newline {
        lines.pop();
    }
    let mut out = String::new();
    let mut widths = Vec::new();
    format(&lines, 0, lines.len(), padding, &mut widths, &mut out);
    if !ends_with_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

fn format(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    padding: usize,
    widths: &mut Vec<usize>,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= cells(lines, this) {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut col_width = 0;
        while this < line1 && column + 1 < cells(lines, this) {
            let cell = lines
                .get(this)
                .and_then(|l| l.get(column))
                .copied()
                .unwrap_or("");
            col_width = col_width.max(width(cell) + padding);
            this += 1;
        }
        widths.push(col_width);
        format(lines, line0, this, padding, widths, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn cells(lines: &[Vec<&str>], index: usize) -> usize {
    lines.get(index).map_or(0, Vec::len)
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for line in lines.iter().take(to).skip(from) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(w) = widths.get(j) {
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(cell))));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_like_go() {
        assert_eq!(
            align("TARGET\tDESCRIPTION\nbuild\t\napp (default)\tthe app\n", 1),
            "TARGET        DESCRIPTION\nbuild         \napp (default) the app\n"
        );
        assert_eq!(
            align("BUILD ARG\tVALUE\tDESCRIPTION\nPY\t3.11\t\n", 3),
            "BUILD ARG   VALUE   DESCRIPTION\nPY          3.11    \n"
        );
        assert_eq!(align("TARGET:\tapp\n", 1), "TARGET: app\n");
    }

    #[test]
    fn column_blocks_restart_after_shorter_lines() {
        assert_eq!(align("a\tb\nccc\nd\te\n", 1), "a b\nccc\nd e\n");
    }
}
