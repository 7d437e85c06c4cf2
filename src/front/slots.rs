//! Places for connections: at most `max_connections` open, at most
//! `max_connections_per_address` from one client address. When a place is wanted and none is
//! free, one whose answer is already out is closed first (it was only lingering); else one is
//! taken back from the address that holds the most (never from an address holding fewer than the
//! newcomer's would after the move): its connection least far along (still sending its head,
//! then its body, then being answered), oldest first.

use rocket::tokio::sync::Notify;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// How far a connection is, in the order in which places are taken back: first one whose
/// answer is out (it only waits a moment for the client to stop sending), then the least far
/// along.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Lingering,
    Head,
    Body,
    Answer,
}

struct Connection {
    address: IpAddr,
    phase: Phase,
    evict: Arc<Notify>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    /// Open connections by age (ids only grow).
    open: BTreeMap<u64, Connection>,
    per_address: HashMap<IpAddr, usize>,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Connection> {
        let connection = self.open.remove(&id)?;
        if let Some(n) = self.per_address.get_mut(&connection.address) {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&connection.address);
            }
        }
        Some(connection)
    }

    /// Closes the connection of `address` (of any, with None) first in the order of `Phase`
    /// (oldest first), at most `up_to` far. Its place is free at once; the connection closes as
    /// soon as it is told.
    fn evict_from(&mut self, address: Option<IpAddr>, up_to: Phase) -> bool {
        let victim = self
            .open
            .iter()
            .filter(|(_, c)| address.is_none_or(|a| c.address == a) && c.phase <= up_to)
            .min_by_key(|(id, c)| (c.phase, **id))
            .map(|(id, _)| *id);
        match victim.and_then(|id| self.remove(id)) {
            Some(connection) => {
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

pub struct Slots {
    max: usize,
    max_per_address: usize,
    table: Mutex<Table>,
}

/// Why a newcomer found no place.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    /// Every place is taken, by addresses holding no more than the newcomer's.
    Server,
    /// The newcomer's address holds all it may, none of them still sending its head.
    Address,
}

/// A connection's place; freed on drop.
pub struct Slot<'a> {
    slots: &'a Slots,
    id: u64,
}

impl Slot<'_> {
    pub fn set_phase(&self, phase: Phase) {
        if let Some(c) = self.slots.table().open.get_mut(&self.id) {
            c.phase = phase;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.table().remove(self.id);
    }
}

impl Slots {
    pub fn new(max: usize, max_per_address: usize) -> Slots {
        Slots {
            max,
            max_per_address,
            table: Mutex::default(),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a new connection from `address`, and the signal that closes it when its
    /// place is taken back.
    pub fn admit(&self, address: IpAddr) -> Result<(Slot<'_>, Arc<Notify>), Full> {
        let mut table = self.table();
        let held = table.per_address.get(&address).copied().unwrap_or(0);
        // An address at its bound makes room only among its own connections that are done or
        // still sending a head (a browser that gave up on a request and opened another).
        if held >= self.max_per_address && !table.evict_from(Some(address), Phase::Head) {
            return Err(Full::Address);
        }
        if table.open.len() >= self.max && !table.evict_from(None, Phase::Lingering) {
            let held = table.per_address.get(&address).copied().unwrap_or(0);
            let most = table
                .per_address
                .iter()
                .max_by_key(|(a, n)| (**n, **a == address))
                .map(|(a, n)| (*a, *n));
            let made_room = match most {
                // The newcomer's own address holds the most: only its own heads give way.
                Some((a, _)) if a == address => table.evict_from(Some(address), Phase::Head),
                // Another address gives way while it would still hold at least as many.
                Some((a, n)) if n > held + 1 => table.evict_from(Some(a), Phase::Answer),
                _ => false,
            };
            if !made_room {
                return Err(Full::Server);
            }
        }
        table.next_id += 1;
        let id = table.next_id;
        let evict = Arc::new(Notify::new());
        table.open.insert(
            id,
            Connection {
                address,
                phase: Phase::Head,
                evict: evict.clone(),
            },
        );
        *table.per_address.entry(address).or_default() += 1;
        Ok((Slot { slots: self, id }, evict))
    }

    #[cfg(test)]
    fn held_by(&self, address: IpAddr) -> usize {
        self.table().per_address.get(&address).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    /// Whether `evict` was told to close the connection.
    fn told(evict: &Arc<Notify>) -> bool {
        let evict = evict.clone();
        rocket::tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async move {
                let wait = std::time::Duration::from_millis(20);
                rocket::tokio::time::timeout(wait, evict.notified())
                    .await
                    .is_ok()
            })
    }

    #[test]
    fn an_address_at_its_bound_gives_way_only_among_its_own_heads() {
        let slots = Slots::new(100, 3);
        let held: Vec<_> = (0..3).map(|_| slots.admit(ip(1)).unwrap()).collect();
        for (slot, _) in &held {
            slot.set_phase(Phase::Body);
        }
        assert_eq!(slots.admit(ip(1)).err(), Some(Full::Address));
        // Another address is not affected.
        let other = slots.admit(ip(2)).unwrap();
        held[0].0.set_phase(Phase::Head);
        let (_newcomer, _) = slots.admit(ip(1)).unwrap();
        assert_eq!(slots.held_by(ip(1)), 3);
        assert!(told(&held[0].1) && !told(&held[1].1));
        drop(other);
        assert_eq!(slots.held_by(ip(2)), 0);
    }

    #[test]
    fn when_full_the_address_holding_the_most_gives_way_and_the_least_far_along_first() {
        let slots = Slots::new(4, 10);
        let a: Vec<_> = (0..3).map(|_| slots.admit(ip(1)).unwrap()).collect();
        a[0].0.set_phase(Phase::Answer);
        a[1].0.set_phase(Phase::Body);
        a[2].0.set_phase(Phase::Answer);
        let b = slots.admit(ip(2)).unwrap();
        // Full: a newcomer of 127.0.0.3 takes the place of 127.0.0.1's connection in its body.
        let (_c, _) = slots.admit(ip(3)).unwrap();
        assert_eq!(slots.held_by(ip(1)), 2);
        assert!(told(&a[1].1) && !told(&a[0].1) && !told(&a[2].1));
        // 127.0.0.1 holds 2, the others 1 each: a newcomer of 127.0.0.4 still takes from
        // 127.0.0.1 (its oldest connection being answered); a newcomer of 127.0.0.5 then finds
        // every address holding one, and no place.
        let (_d, _) = slots.admit(ip(4)).unwrap();
        assert_eq!(slots.held_by(ip(1)), 1);
        assert!(told(&a[0].1) && !told(&a[2].1));
        assert_eq!(slots.admit(ip(5)).err(), Some(Full::Server));
        // A connection whose answer is out gives its place first, whoever asks.
        b.0.set_phase(Phase::Lingering);
        let (_f, _) = slots.admit(ip(6)).unwrap();
        assert!(told(&b.1));
        assert_eq!(slots.held_by(ip(2)), 0);
        // A place freed by a closed connection is free for anyone.
        drop(a);
        assert_eq!(slots.held_by(ip(1)), 0);
        let (_e, _) = slots.admit(ip(5)).unwrap();
    }
}
