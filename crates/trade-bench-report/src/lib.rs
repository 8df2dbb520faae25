//! What every benchmark writes to `bench-reports/`: result lines (what, setting,
//! result), tables and notes, each printed as it comes (a long run shows its progress)
//! and rendered at the end as Markdown under the machine it ran on and the command that
//! reproduces it. A bench adds only its own facts and how it measures.

use std::fmt::Write as _;
use std::time::Duration;

/// A bench's setting from the environment (`BENCH_*`; `_` may separate digits, as in
/// `20_000`), or `default` when it is unset or not a number. The report's command line
/// shows the settings a run overrode.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A comma-separated bench setting (`BENCH_PARTS=pull,push`), or `default` (the same form).
pub fn list_setting(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The parts of a bench a run measures (`BENCH_PARTS`; all of them by default).
pub struct Parts(Vec<String>);

impl Parts {
    /// From `BENCH_PARTS`, or `all` (comma-separated) when it is unset.
    pub fn from_env(all: &str) -> Parts {
        Parts(list_setting("BENCH_PARTS", all))
    }

    pub fn runs(&self, part: &str) -> bool {
        self.0.iter().any(|p| p == part)
    }
}

/// One line of the results table.
struct Line {
    what: String,
    setting: String,
    result: String,
}

struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Default)]
pub struct Report {
    lines: Vec<Line>,
    tables: Vec<Table>,
    notes: Vec<String>,
    /// Facts about the run beyond the machine's (rows of the machine table).
    facts: Vec<(String, String)>,
    /// Load averages at points of the run.
    load: Vec<(String, String)>,
}

impl Report {
    pub fn line(&mut self, what: &str, setting: impl Into<String>, result: impl Into<String>) {
        let line = Line {
            what: what.to_owned(),
            setting: setting.into(),
            result: result.into(),
        };
        println!("bench: {} | {} | {}", line.what, line.setting, line.result);
        self.lines.push(line);
    }

    pub fn table(&mut self, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
        println!("bench: {title}");
        for r in &rows {
            println!("bench:   {}", r.join(" | "));
        }
        self.tables.push(Table {
            title: title.to_owned(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows,
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        println!("bench: note: {note}");
        self.notes.push(note);
    }

    /// Notes the load averages now (`when`: "at the start", ...): a busy machine reads
    /// slower, and the report says so.
    pub fn load(&mut self, when: &str) {
        let load = std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        println!("bench: load average {when}: {load}");
        self.load.push((when.to_owned(), load));
    }

    /// A row of the machine table (the build, the database).
    pub fn fact(&mut self, name: &str, value: impl Into<String>) {
        self.facts.push((name.to_owned(), value.into()));
    }

    /// Renders the report (see [`Report::render`]), writes it to `bench-reports/{file}`
    /// at the repository root, and prints it and where it went.
    pub fn write(
        &self,
        file: &str,
        title: &str,
        command: &str,
        elapsed: Duration,
        method: &[String],
    ) -> std::io::Result<std::path::PathBuf> {
        let text = self.render(title, command, elapsed, method);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-reports");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(file);
        std::fs::write(&path, &text)?;
        let path = path.canonicalize().unwrap_or(path);
        println!("\n{text}");
        println!("written to {}", path.display());
        Ok(path)
    }

    /// The report as Markdown: `title`, the command (`command` with the `BENCH_*`
    /// settings of this run before it), the machine, the results, `method` (bullets on
    /// how each figure is measured) and the notes.
    pub fn render(
        &self,
        title: &str,
        command: &str,
        elapsed: Duration,
        method: &[String],
    ) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {title}\n");
        let overrides: Vec<String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("BENCH_"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let command = if overrides.is_empty() {
            command.to_owned()
        } else {
            format!("{} {command}", overrides.join(" "))
        };
        let _ = writeln!(
            out,
            "Command: `{command}` (total {:.0} s)\n",
            elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "| machine | |\n|---|---|");
        for (k, v) in machine().iter().chain(&self.facts) {
            let _ = writeln!(out, "| {} | {} |", cell(k), cell(v));
        }
        if !self.load.is_empty() {
            let load: Vec<String> = self
                .load
                .iter()
                .map(|(when, l)| format!("{l} ({when})"))
                .collect();
            let _ = writeln!(
                out,
                "| load average (1, 5, 15 min) | {} |",
                cell(&load.join("; "))
            );
        }
        let _ = writeln!(out, "\n## Results\n");
        let _ = writeln!(out, "| benchmark | setting | result |\n|---|---|---|");
        for l in &self.lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&l.what),
                cell(&l.setting),
                cell(&l.result)
            );
        }
        for t in &self.tables {
            let _ = writeln!(out, "\n### {}\n", t.title);
            let _ = writeln!(out, "| {} |", row(&t.header));
            let _ = writeln!(out, "|{}", "---|".repeat(t.header.len()));
            for r in &t.rows {
                let _ = writeln!(out, "| {} |", row(r));
            }
        }
        let _ = writeln!(out, "\n## How it is measured\n");
        for m in method {
            let _ = writeln!(out, "- {m}");
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }
}

/// A table cell's text as Markdown keeps it in its cell: on one line (a multi-line text,
/// such as an error with its causes, has its lines joined by spaces) and with `|` escaped.
fn cell(text: &str) -> String {
    let text = if text.contains('\n') {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        text.to_owned()
    };
    text.replace('|', "\\|")
}

fn row(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| cell(c))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The machine a bench ran on: date, cores, CPU, memory, kernel.
fn machine() -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let mem = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1_048_576.0))
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "unknown".into());
    vec![
        (
            "date (UTC)".into(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        ),
        ("nproc".into(), nproc),
        ("CPU".into(), cpu),
        ("memory".into(), mem),
        (
            "kernel".into(),
            read("/proc/sys/kernel/osrelease").trim().to_owned(),
        ),
    ]
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` per second over `secs`, grouped.
pub fn rate(n: f64, secs: f64) -> String {
    group((n / secs.max(1e-9)).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with its causes on several lines, and a `|` in it, stays in its cell: the
    /// results table keeps three columns on every row.
    #[test]
    fn a_multi_line_result_stays_in_its_cell() {
        let mut report = Report::default();
        report.line(
            "plain list",
            "the launch failed",
            "not measured: Frame not found:\n    Status: 404\n    a | b\n",
        );
        report.line("app", "15 starts", "**0.56 s**");
        let text = report.render("t", "cargo bench", Duration::ZERO, &[]);
        let results: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("| benchmark |"))
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(
            results,
            [
                "| benchmark | setting | result |",
                "|---|---|---|",
                "| plain list | the launch failed | not measured: Frame not found: Status: 404 a \\| b |",
                "| app | 15 starts | **0.56 s** |",
            ]
        );
    }
}
