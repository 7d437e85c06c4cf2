//! calamine reads an XLSX while it is still being priced (`xlsx_cost.rs`), on another core,
//! but never unpacks a byte the pricing has not passed: the pricer unpacks each part itself and
//! says how far into the part's compressed bytes it has priced, and calamine's reads of the file
//! wait at that line (`Gated`). Deflate is deterministic, so from the compressed bytes it may
//! read calamine can unpack at most what the pricer unpacked from the same bytes and found
//! within the limits; the line stays a little behind the pricer's input (`MARGIN`), for what
//! an inflater holds between input and output. A refused file stops calamine's reads with an
//! error, and the pricer's reason is the file's.
//!
//! Only a worksheet is passed on as it is priced (calamine streams it); a part calamine keeps
//! whole in memory (shared strings, styles) is passed on once all of it is priced, and those
//! parts are priced first, since calamine reads them when it opens the workbook.

use super::source::{At, ReadAt};
use std::io::{Read, Seek, SeekFrom};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Compressed bytes the line stays behind what the pricer's inflater took in: a deflate symbol
/// spans at most a few bytes and yields at most 258, so what an inflater may hold unwritten is
/// far less than this much input can give (about a megabyte at deflate's largest ratio).
pub(super) const MARGIN: u64 = 1024;

/// The pricing's progress, shared by the pricer and calamine's reader.
#[derive(Default)]
pub(super) struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Each part's compressed bytes and how far they are priced; None until the pricer has read
    /// the zip's directory (nothing may be read before).
    parts: Option<Vec<Part>>,
    /// Set once: every part priced (Ok), or the file refused.
    verdict: Option<Result<(), String>>,
}

struct Part {
    end: u64,
    /// Bytes from the part's start up to here may be read.
    priced: u64,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere leaves the state whole (each change is one assignment).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The parts' compressed bytes (start and end offsets in the file), none priced yet.
    pub(super) fn parts(&self, ranges: &[(u64, u64)]) {
        let parts = ranges
            .iter()
            .map(|&(start, end)| Part { end, priced: start })
            .collect();
        self.state().parts = Some(parts);
        self.changed.notify_all();
    }

    /// Part `index` is priced up to file offset `to`.
    pub(super) fn priced(&self, index: usize, to: u64) {
        let mut state = self.state();
        if let Some(part) = state.parts.as_mut().and_then(|p| p.get_mut(index)) {
            if to > part.priced {
                part.priced = to.min(part.end);
                drop(state);
                self.changed.notify_all();
            }
        }
    }

    /// How far part `index` may be read (a file offset).
    #[cfg(test)]
    pub(super) fn priced_to(&self, index: usize) -> Option<u64> {
        Some(self.state().parts.as_ref()?.get(index)?.priced)
    }

    /// The pricing's end: every byte may be read, or none more.
    pub(super) fn end(&self, verdict: Result<(), String>) {
        let mut state = self.state();
        if state.verdict.is_none() {
            state.verdict = Some(verdict);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// How far from `from` (up to `to`, more than `from`) may be read now; waits until at least
    /// a byte may. An error once the file is refused.
    fn readable(&self, from: u64, to: u64) -> std::io::Result<u64> {
        let mut state = self.state();
        loop {
            match &state.verdict {
                Some(Ok(())) => return Ok(to),
                Some(Err(_)) => {
                    return Err(std::io::Error::other("the file was refused while read"));
                }
                None => {}
            }
            if let Some(parts) = &state.parts {
                let mut end = to;
                for part in parts {
                    // What of this part is not priced yet lies in priced..end.
                    if part.priced < end.min(part.end) && part.end > from {
                        end = end.min(from.max(part.priced));
                    }
                }
                if end > from {
                    return Ok(end);
                }
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// calamine's reader of the file: reads only what the gate lets through, waiting for the rest.
pub(super) struct Gated<'a, S: ReadAt + ?Sized> {
    at: At<'a, S>,
    gate: &'a Gate,
}

impl<'a, S: ReadAt + ?Sized> Gated<'a, S> {
    pub(super) fn new(source: &'a S, gate: &'a Gate) -> Gated<'a, S> {
        Gated {
            at: At::new(source),
            gate,
        }
    }
}

impl<S: ReadAt + ?Sized> Read for Gated<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let from = self.at.position();
        let end = self
            .gate
            .readable(from, from.saturating_add(buf.len() as u64))?;
        let n = usize::try_from(end - from)
            .unwrap_or(buf.len())
            .min(buf.len());
        self.at.read(&mut buf[..n])
    }
}

impl<S: ReadAt + ?Sized> Seek for Gated<'_, S> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.at.seek(to)
    }
}

/// Where each part's compressed bytes lie in the file (start and end offsets), as the zip
/// reader calamine uses finds them (from its directory and each part's local header).
pub(super) fn compressed_ranges<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Result<Vec<(u64, u64)>, String> {
    (0..zip.len())
        .map(|i| {
            let part = zip.by_index_raw(i).map_err(|e| unreadable(&e))?;
            // Found by opening it; were it not, the part would be taken as the whole file.
            Ok(match part.data_start() {
                Some(start) => (start, start.saturating_add(part.compressed_size())),
                None => (0, u64::MAX),
            })
        })
        .collect()
}

fn unreadable(e: &dyn std::fmt::Display) -> String {
    format!("无法读取XLSX文件：{e}")
}

/// Unpacks part `index` a buffer at a time, handing `out` each piece and how many of the part's
/// compressed bytes it took so far, and checks its CRC as the zip reader does. A stored or
/// deflated part is unpacked here (so the bytes taken are known exactly); any other (encrypted,
/// another compression) by the zip reader, which says why it cannot, with 0 bytes taken.
pub(super) fn unpack<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    mut out: impl FnMut(&[u8], u64) -> Result<(), String>,
) -> Result<(), String> {
    use zip::CompressionMethod::{Deflated, Stored};
    let entry = zip.by_index_data(index).map_err(|e| unreadable(&e))?;
    let (method, crc) = (entry.compression(), entry.crc32());
    let plain = !entry.encrypted() && matches!(method, Stored | Deflated);
    let mut output = vec![0u8; 64 << 10];
    let read = |part: &mut dyn Read, buf: &mut [u8]| loop {
        match part.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other.map_err(|e| unreadable(&e)),
        }
    };
    if !plain {
        let mut part = zip.by_index(index).map_err(|e| unreadable(&e))?;
        loop {
            match read(&mut part, &mut output)? {
                0 => return Ok(()),
                n => out(&output[..n], 0)?,
            }
        }
    }
    let mut raw = zip.by_index_raw(index).map_err(|e| unreadable(&e))?;
    let mut sum = flate2::Crc::new();
    let mut taken = 0u64;
    if method == Stored {
        loop {
            let n = read(&mut raw, &mut output)?;
            if n == 0 {
                break;
            }
            taken += n as u64;
            sum.update(&output[..n]);
            out(&output[..n], taken)?;
        }
    } else {
        let mut input = vec![0u8; 64 << 10];
        let mut inflate = flate2::Decompress::new(false);
        let (mut at, mut len) = (0, 0);
        let corrupt = || unreadable(&"corrupt deflate stream");
        loop {
            if at == len {
                (at, len) = (0, read(&mut raw, &mut input)?);
                if len == 0 {
                    // The part's bytes ended before its stream did.
                    return Err(corrupt());
                }
            }
            let (was_in, was_out) = (inflate.total_in(), inflate.total_out());
            let status = inflate
                .decompress(&input[at..len], &mut output, flate2::FlushDecompress::None)
                .map_err(|e| unreadable(&e))?;
            let used = (inflate.total_in() - was_in) as usize;
            let made = (inflate.total_out() - was_out) as usize;
            at += used;
            taken += used as u64;
            sum.update(&output[..made]);
            out(&output[..made], taken)?;
            match status {
                flate2::Status::StreamEnd => break,
                _ if used == 0 && made == 0 => return Err(corrupt()),
                _ => {}
            }
        }
    }
    if sum.sum() != crc {
        return Err(unreadable(&"Invalid checksum"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reads_wait_for_the_pricing_and_stop_when_it_refuses() {
        let file: Vec<u8> = (0..100u8).collect();
        let gate = Gate::default();
        std::thread::scope(|scope| {
            let (said, heard) = std::sync::mpsc::channel();
            let (file, gate) = (&file, &gate);
            scope.spawn(move || {
                let mut gated = Gated::new(file, gate);
                let mut buf = [0u8; 100];
                for _ in 0..3 {
                    said.send(gated.read(&mut buf).map_err(|e| e.to_string()))
                        .unwrap();
                }
            });
            // Bytes 10..60 are a part: before the directory is known nothing is read, then what
            // lies before the part, then the part as far as it is priced.
            std::thread::sleep(Duration::from_millis(50));
            assert!(heard.try_recv().is_err(), "read before the directory");
            gate.parts(&[(10, 60)]);
            assert_eq!(heard.recv().unwrap(), Ok(10));
            std::thread::sleep(Duration::from_millis(50));
            assert!(heard.try_recv().is_err(), "read past the priced bytes");
            gate.priced(0, 25);
            assert_eq!(heard.recv().unwrap(), Ok(15));
            gate.end(Err("refused".into()));
            let refused = heard.recv().unwrap().unwrap_err();
            assert!(refused.contains("refused"), "{refused}");
        });
        // Bytes outside every part, and all of them once the pricing passed the file.
        let gate = Gate::default();
        gate.parts(&[(10, 60), (40, 80)]);
        gate.priced(0, 60);
        let mut gated = Gated::new(&file, &gate);
        let mut buf = [0u8; 100];
        // The second part overlaps the first: bytes 40..60 wait for it too.
        assert_eq!(gated.read(&mut buf).unwrap(), 40);
        gated.seek(SeekFrom::Start(85)).unwrap();
        assert_eq!(gated.read(&mut buf).unwrap(), 15);
        gate.end(Ok(()));
        gated.seek(SeekFrom::Start(40)).unwrap();
        assert_eq!(gated.read(&mut buf).unwrap(), 60);
    }
}
