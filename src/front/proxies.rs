//! Whose word to take for a client's address: the TCP peer's own address, unless the peer is a
//! proxy named in `trusted_proxies`; then the address it forwards in `X-Forwarded-For` (the
//! header Caddy and nginx set). No other client's `X-Forwarded-For` (nor `Forwarded`,
//! `X-Real-IP` …) is ever read: anyone could write one.

use std::net::IpAddr;

/// Addresses and ranges (`192.0.2.10`, `10.0.0.0/8`, `::1`, `fd00::/8`) of trusted proxies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Reads the setting's entries; the first that is not an address or a range is named in the
    /// error.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let bad = || {
                format!(
                    "invalid configuration: trusted_proxies entry {entry:?} is neither an IP \
                     address nor a range like 10.0.0.0/8 or fd00::/8"
                )
            };
            let (address, prefix) = match entry.trim().split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (entry.trim(), None),
            };
            let address: IpAddr = address.parse().map_err(|_| bad())?;
            let address = address.to_canonical();
            let bits = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => bits,
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= bits)
                    .ok_or_else(bad)?,
                Some(_) => return Err(bad()),
            };
            ranges.push((address, prefix));
        }
        Ok(TrustedProxies(ranges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0
            .iter()
            .any(|&(network, prefix)| match (network, address) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0);
                    u32::from(n) & mask == u32::from(a) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = u128::MAX.checked_shl(128 - prefix as u32).unwrap_or(0);
                    u128::from(n) & mask == u128::from(a) & mask
                }
                _ => false,
            })
    }

    /// The client's address for a connection from `peer` whose request carried these
    /// `X-Forwarded-For` values (in order). Only a trusted peer's header is read: its entries
    /// from the right, skipping trusted proxies, up to the first that is not one (each proxy
    /// appends the address it got the request from, so everything left of that was written by
    /// the client and proves nothing). An entry that is not an address, on that walk, leaves
    /// the peer's own address.
    pub fn client(&self, peer: IpAddr, forwarded: &[&[u8]]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut entries = Vec::new();
        for value in forwarded {
            let Ok(value) = std::str::from_utf8(value) else {
                return peer;
            };
            entries.extend(value.split(','));
        }
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(address) = forwarded_address(entry.trim()) else {
                return peer;
            };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    entry
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::super::head::{self, Read};
    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        TrustedProxies::parse(&entries).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn entries_are_addresses_or_ranges_of_either_family_and_anything_else_is_named() {
        let proxies = trusted(&[
            "192.0.2.10",
            "10.0.0.0/8",
            "::1",
            "fd00::/8",
            " 172.16.0.0/12 ",
        ]);
        for inside in [
            "192.0.2.10",
            "10.255.1.2",
            "::1",
            "fd12::5",
            "172.31.0.1",
            "::ffff:10.1.1.1",
        ] {
            assert!(proxies.contains(ip(inside)), "{inside}");
        }
        for outside in [
            "192.0.2.11",
            "11.0.0.1",
            "::2",
            "fe80::1",
            "172.32.0.1",
            "127.0.0.1",
        ] {
            assert!(!proxies.contains(ip(outside)), "{outside}");
        }
        assert!(trusted(&["0.0.0.0/0"]).contains(ip("203.0.113.9")));
        assert!(!trusted(&["0.0.0.0/0"]).contains(ip("2001:db8::1")));
        assert!(trusted(&["::/0"]).contains(ip("2001:db8::1")));
        assert!(trusted(&[]).is_empty());
        for bad in [
            "proxy.example",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0/8",
            "1.2.3.4/+8",
            "",
        ] {
            let err = TrustedProxies::parse(&[bad.to_string()]).unwrap_err();
            assert!(
                err.contains("trusted_proxies") && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_its_rightmost_untrusted_entry_is_the_client() {
        let proxies = trusted(&["127.0.0.1", "10.0.0.0/8"]);
        let peer = ip("127.0.0.1");
        // Anyone else's header changes nothing.
        assert_eq!(
            proxies.client(ip("192.0.2.1"), &[b"203.0.113.5"]),
            ip("192.0.2.1")
        );
        assert_eq!(proxies.client(peer, &[b"203.0.113.5"]), ip("203.0.113.5"));
        // The client's own claims left of what the proxy appended prove nothing; proxies in the
        // chain are skipped.
        assert_eq!(
            proxies.client(peer, &[b"6.6.6.6, 203.0.113.5, 10.1.2.3"]),
            ip("203.0.113.5")
        );
        // Two header lines read as one list, in order.
        assert_eq!(
            proxies.client(peer, &[b"6.6.6.6", b"198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Ports and IPv6.
        assert_eq!(
            proxies.client(peer, &[b"203.0.113.5:4711"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            proxies.client(peer, &[b"[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        assert_eq!(proxies.client(peer, &[b"2001:db8::1"]), ip("2001:db8::1"));
        // Only proxies: the leftmost is where the request came from.
        assert_eq!(
            proxies.client(peer, &[b"10.0.0.1, 10.0.0.2"]),
            ip("10.0.0.1")
        );
        // Malformed on the walk, or nothing forwarded: the peer itself.
        assert_eq!(proxies.client(peer, &[b"unknown"]), peer);
        assert_eq!(proxies.client(peer, &[b"203.0.113.5, "]), peer);
        assert_eq!(proxies.client(peer, &[b"\xff"]), peer);
        assert_eq!(proxies.client(peer, &[]), peer);
        // A garbage entry left of the client is never reached.
        assert_eq!(
            proxies.client(peer, &[b"junk, 203.0.113.5"]),
            ip("203.0.113.5")
        );
        // Nobody trusted: the peer, always.
        assert_eq!(
            TrustedProxies::default().client(peer, &[b"203.0.113.5"]),
            peer
        );
    }

    #[test]
    fn the_forwarded_address_goes_under_the_address_header_and_the_header_itself_never_on() {
        let raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.5\r\n\
                    X-Real-IP: 7.7.7.7\r\nX-Client: 8.8.8.8\r\n\r\n";
        let head_for = |peer: &str, proxies: &TrustedProxies| {
            let mut checked = 0;
            match head::read(raw, &mut checked, Some("X-Client"), ip(peer), proxies) {
                Read::Complete(framed, _) => String::from_utf8(framed.head).unwrap(),
                other => panic!("{other:?}"),
            }
        };
        let proxies = trusted(&["127.0.0.1"]);
        let believed = head_for("127.0.0.1", &proxies);
        assert!(
            believed.ends_with("X-Client: 203.0.113.5\r\n\r\n"),
            "{believed}"
        );
        let ignored = head_for("127.0.0.2", &proxies);
        assert!(
            ignored.ends_with("X-Client: 127.0.0.2\r\n\r\n"),
            "{ignored}"
        );
        for head in [believed, ignored] {
            assert_eq!(head.matches("X-Client").count(), 1, "{head}");
            assert!(!head.to_ascii_lowercase().contains("forwarded"), "{head}");
            assert!(
                !head.contains("7.7.7.7") && !head.contains("6.6.6.6"),
                "{head}"
            );
        }
    }
}
