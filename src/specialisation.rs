//! `poles specialisation FILE`: the region × NAF-division employment table and its location
//! quotients, computed from an establishment file of the benchmark's format as it streams
//! by — one reader cutting the file into blocks at line ends, the cores folding blocks into
//! their own tallies (`poles_core::specialisation`), added at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use poles_core::specialisation::{Cell, Tally};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

/// Bytes read at once: large enough that the channel and the line cut cost nothing.
const BLOCK: usize = 8 << 20;

/// Reads `file` (its header line skipped) with `threads` folding blocks.
pub fn tally(file: &Path, threads: usize) -> anyhow::Result<Tally> {
    let mut f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:>15} [{bar:40}] {bytes}/{total_bytes} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("establishments");
    let threads = threads.max(1);
    let (tx, rx) = sync_channel::<Vec<u8>>(threads * 2);
    let rx = std::sync::Mutex::new(rx);
    let tallies = std::thread::scope(|s| -> anyhow::Result<Vec<Tally>> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut t = Tally::default();
                    loop {
                        let block = match rx.lock().expect("block queue").recv() {
                            Ok(b) => b,
                            Err(_) => break,
                        };
                        t.add_lines(&block);
                    }
                    t
                })
            })
            .collect();
        let mut carry: Vec<u8> = Vec::new();
        let mut header = true;
        loop {
            let mut block = std::mem::take(&mut carry);
            let start = block.len();
            block.resize(start + BLOCK, 0);
            let n = read_full(&mut f, &mut block[start..])?;
            block.truncate(start + n);
            bar.inc(n as u64);
            if header {
                // The header line names the columns; the rows follow it.
                match block.iter().position(|b| *b == b'\n') {
                    Some(k) => {
                        block.drain(..=k);
                        header = false;
                    }
                    None if n == 0 => break,
                    None => {
                        carry = block;
                        continue;
                    }
                }
            }
            if n == 0 {
                if !block.is_empty() {
                    tx.send(block)?;
                }
                break;
            }
            // Cut at the last line end: the rest starts the next block.
            if let Some(k) = block.iter().rposition(|b| *b == b'\n') {
                carry = block.split_off(k + 1);
                tx.send(block)?;
            } else {
                carry = block;
            }
        }
        drop(tx);
        Ok(workers
            .into_iter()
            .map(|w| w.join().expect("a reader panicked"))
            .collect())
    })?;
    bar.finish_and_clear();
    let mut total = Tally::default();
    for t in &tallies {
        total.merge(t);
    }
    Ok(total)
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Writes the cells as CSV: `region,division,establishments,employment,location_quotient`
/// (the quotient with 17 significant digits, empty where undefined).
pub fn write_csv(cells: &[Cell], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "region,division,establishments,employment,location_quotient"
    )?;
    for c in cells {
        let lq = c
            .location_quotient
            .map(|q| format!("{q:.17e}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{},{lq}",
            c.region, c.division, c.establishments, c.employment
        )?;
    }
    Ok(())
}

/// The command: computes, reports the time on standard error, writes the table.
pub fn run(file: &Path, out: Option<&Path>, threads: Option<usize>) -> anyhow::Result<()> {
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    });
    let started = Instant::now();
    let t = tally(file, threads)?;
    let cells = t.quotients();
    let computed = started.elapsed();
    match out {
        Some(p) => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
            write_csv(&cells, &mut w)?;
            w.flush()?;
        }
        None => write_csv(&cells, &mut std::io::stdout().lock())?,
    }
    eprintln!(
        "{} lines read ({} refused), {} cells, computed in {:.3} s on {threads} thread(s)",
        t.lines,
        t.rejected,
        cells.len(),
        computed.as_secs_f64()
    );
    Ok(())
}
