//! An uploaded file as readers see it: read at any offset, by more than one reader at once (an
//! XLSX is priced on one thread while calamine reads it on another, `xlsx_gate.rs`), each with a
//! position of its own.

use std::io::{Read, Seek, SeekFrom};

/// A file that can be read at any offset without a shared position: the upload's temporary
/// file, or bytes in memory.
pub trait ReadAt: Sync {
    /// Reads into `buf` from `offset`; 0 at or past the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize>;
    /// The file's length in bytes.
    fn size(&self) -> std::io::Result<u64>;
}

impl ReadAt for std::fs::File {
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }

    // Windows reads at an offset by moving the handle's position, which no reader here uses.
    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.as_slice().read_at(buf, offset)
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
}

/// One reader of a `ReadAt`, with its own position.
pub struct At<'a, S: ReadAt + ?Sized> {
    source: &'a S,
    pos: u64,
}

impl<'a, S: ReadAt + ?Sized> At<'a, S> {
    /// A reader at the start of `source`.
    pub fn new(source: &'a S) -> At<'a, S> {
        At { source, pos: 0 }
    }

    /// Where the next read starts.
    pub fn position(&self) -> u64 {
        self.pos
    }
}

impl<S: ReadAt + ?Sized> Read for At<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.source.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: ReadAt + ?Sized> Seek for At<'_, S> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.source.size()?.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_of_one_source_keep_positions_of_their_own() {
        let file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut &file, b"0123456789").unwrap();
        for source in [&file as &dyn ReadAt, &b"0123456789".to_vec()] {
            let (mut a, mut b) = (At::new(source), At::new(source));
            let mut buf = [0u8; 4];
            a.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"0123");
            b.seek(SeekFrom::End(-3)).unwrap();
            let mut rest = Vec::new();
            b.read_to_end(&mut rest).unwrap();
            assert_eq!(rest, b"789");
            a.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"4567");
            assert_eq!(a.seek(SeekFrom::Current(-8)).unwrap(), 0);
            assert!(a.seek(SeekFrom::Current(-1)).is_err());
            a.seek(SeekFrom::Start(20)).unwrap();
            assert_eq!(a.read(&mut buf).unwrap(), 0);
        }
    }
}
