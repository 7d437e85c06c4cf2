//! A file's rows on two cores: one thread reads them (unzips, parses, lays them out) while the
//! caller's thread writes them (into SQLite, into an XLSX), the rows handed over in groups so
//! the channel costs little a row. Used by an upload (`tasks::create`) and by an XLSX download
//! (`files::write`).

use crossbeam_channel::{bounded, Sender};

/// Items a group carries.
const GROUP: usize = 256;
/// Groups in flight, unless the caller needs more: the reader runs at most this far ahead of
/// the writer.
pub const IN_FLIGHT: usize = 8;

/// The reading side's end: items pushed one at a time travel in groups; what is left goes when
/// it is dropped.
pub struct Feed<T> {
    group: Vec<T>,
    send: Sender<Vec<T>>,
}

impl<T> Feed<T> {
    /// Hands one item over; false once the writing side has stopped (the reader should too).
    pub fn push(&mut self, item: T) -> bool {
        self.group.push(item);
        if self.group.len() < GROUP {
            return true;
        }
        let group = std::mem::replace(&mut self.group, Vec::with_capacity(GROUP));
        self.send.send(group).is_ok()
    }
}

impl<T> Drop for Feed<T> {
    fn drop(&mut self) {
        if !self.group.is_empty() {
            // A writer that stopped wants no more.
            let _ = self.send.send(std::mem::take(&mut self.group));
        }
    }
}

/// Runs `read` on a thread named `name` while `write` takes what it pushes, in order, on this
/// thread, the reader at most `in_flight` groups ahead; returns both results. When `write`
/// returns early, the items' channel closes and the reader's next push says so. An error is the thread's own (it could not start, or panicked).
pub fn beside<T: Send, R: Send, W>(
    (name, in_flight): (&str, usize),
    read: impl FnOnce(&mut Feed<T>) -> R + Send,
    write: impl FnOnce(&mut dyn Iterator<Item = T>) -> W,
) -> Result<(R, W), String> {
    std::thread::scope(|scope| {
        let (send, receive) = bounded::<Vec<T>>(in_flight);
        let reader = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, move || {
                let mut feed = Feed {
                    group: Vec::with_capacity(GROUP),
                    send,
                };
                read(&mut feed)
            })
            .map_err(|e| format!("cannot start thread {name}: {e}"))?;
        // The receiver goes with `write`'s items: a writer that stops stops the reader.
        let written = write(&mut receive.into_iter().flatten());
        let read = reader
            .join()
            .map_err(|_| format!("thread {name} panicked"))?;
        Ok((read, written))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_arrives_in_order_and_a_writer_that_stops_stops_the_reader() {
        let (pushed, got) = beside(
            ("test-reader", IN_FLIGHT),
            |feed: &mut Feed<usize>| (0..1000).take_while(|&i| feed.push(i)).count(),
            |items| items.collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(pushed, 1000);
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
        // The writer takes 3 and stops: the reader learns it within the groups in flight.
        let (pushed, got) = beside(
            ("test-reader", IN_FLIGHT),
            |feed: &mut Feed<usize>| (0..1_000_000).take_while(|&i| feed.push(i)).count(),
            |items| items.take(3).collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(got, [0, 1, 2]);
        assert!(pushed < (IN_FLIGHT + 2) * GROUP, "{pushed}");
    }
}
