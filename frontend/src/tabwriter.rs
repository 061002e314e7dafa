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
    format(&lines, padding, &mut out);
    if !ends_with_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

/// A range of lines being formatted at one column depth: Go's recursive `format`, one frame
/// per column, kept on a heap stack so a line with many cells cannot overflow the thread's.
struct Frame {
    line0: usize,
    line1: usize,
    this: usize,
}

/// Go's `Writer.format`: each column block gets the width of its widest cell, and the lines
/// of a block are formatted again one column further in.
fn format(lines: &[Vec<&str>], padding: usize, out: &mut String) {
    // widths[c] is the width of column c in the block being formatted; one per open frame
    // below the top one.
    let mut widths: Vec<usize> = Vec::new();
    let mut stack = vec![Frame {
        line0: 0,
        line1: lines.len(),
        this: 0,
    }];
    while let Some(frame) = stack.last_mut() {
        let column = widths.len();
        if frame.this >= frame.line1 {
            write_lines(lines, frame.line0, frame.line1, &widths, out);
            stack.pop();
            widths.pop();
            continue;
        }
        if column + 1 >= cells(lines, frame.this) {
            frame.this += 1;
            continue;
        }
        write_lines(lines, frame.line0, frame.this, &widths, out);
        let block = frame.this;
        let mut col_width = 0;
        while frame.this < frame.line1 && column + 1 < cells(lines, frame.this) {
            let cell = lines
                .get(frame.this)
                .and_then(|l| l.get(column))
                .copied()
                .unwrap_or("");
            col_width = col_width.max(width(cell) + padding);
            frame.this += 1;
        }
        frame.line0 = frame.this;
        let child = Frame {
            line0: block,
            line1: frame.this,
            this: block,
        };
        widths.push(col_width);
        stack.push(child);
    }
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
        assert_eq!(
            align("a\tbb\tc\nddd\te\n\nf\tg\th\ti\n", 2),
            "a    bb  c\nddd  e\n\nf  g  h  i\n"
        );
    }

    /// A cell per tab: a description with 200,000 tabs is 200,000 columns, formatted without
    /// recursion (one stack frame per column overflowed the stack at about 60,000).
    #[test]
    fn many_columns_do_not_overflow_the_stack() {
        let line = "\t".repeat(200_000);
        let text = format!("TARGET\tDESCRIPTION\napp\t{line}x\n");
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || align(&text, 1))
            .unwrap()
            .join()
            .unwrap();
        assert!(
            out.starts_with("TARGET DESCRIPTION\napp    "),
            "{}",
            &out[..40]
        );
        assert!(out.ends_with("x\n"));
    }
}
