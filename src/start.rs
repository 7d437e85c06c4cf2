//! What a person starting assetport needs to see and have done: the start lines (the database
//! file, every address the page can be opened at, how to stop), the page opened in the default
//! browser on a desktop, and a plain answer when the port is taken — by another program, or by
//! an assetport already running, whose page is then opened instead.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// An address the page can be opened at, and whether it is for other machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub url: String,
    pub lan: bool,
}

fn url_of(scheme: &str, ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(ip) => format!("{scheme}://{ip}:{port}/"),
        IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{port}/"),
    }
}

/// Every URL a person can open for a listener at `address`: this machine's, and when it listens
/// on every interface (0.0.0.0, ::), each LAN address of the machine (`lan_ips`).
pub fn urls(address: SocketAddr, tls: bool, lan_ips: &[IpAddr]) -> Vec<Url> {
    let scheme = if tls { "https" } else { "http" };
    let port = address.port();
    let ip = address.ip();
    if !ip.is_unspecified() {
        return vec![Url {
            url: url_of(scheme, ip, port),
            lan: !ip.is_loopback(),
        }];
    }
    let mut all = vec![Url {
        url: format!("{scheme}://localhost:{port}/"),
        lan: false,
    }];
    let v6 = ip.is_ipv6();
    for lan in lan_ips {
        // `0.0.0.0` takes IPv4 only; `::` both. A link-local IPv6 address needs a zone to be
        // opened, so it is not offered.
        let usable = match lan {
            IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local(),
            IpAddr::V6(v6addr) => {
                v6 && !v6addr.is_loopback() && (v6addr.segments()[0] & 0xffc0) != 0xfe80
            }
        };
        if usable {
            all.push(Url {
                url: url_of(scheme, *lan, port),
                lan: true,
            });
        }
    }
    all
}

/// The machine's interface addresses (empty when they cannot be read).
pub fn lan_ips() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|all| all.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default()
}

/// The URL this machine's browser opens: loopback, named as `localhost` (the first-start page
/// is served to a client that names the server so).
pub fn local_url(address: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://localhost:{}/", address.port())
}

/// The start lines, after the listener is bound.
pub fn lines(database: &Path, urls: &[Url], setup_pending: Option<&str>) -> Vec<String> {
    let mut lines = vec![
        format!("assetport {} is running", env!("CARGO_PKG_VERSION")),
        format!("  database: {}", database.display()),
    ];
    for url in urls {
        let whence = if url.lan {
            "from other computers on the network"
        } else {
            "on this computer"
        };
        lines.push(format!("  open {} {whence}", url.url));
    }
    if let Some(local) = setup_pending {
        lines.push(format!(
            "  first start: open {local} on this computer to set the super admin's password (or run `assetport reset-password admin`)"
        ));
    }
    lines.push("  to stop it, press Ctrl-C (unfinished tasks resume at the next start)".into());
    lines
}

/// Whether this session has a desktop to open a browser on: not under a service (systemd sets
/// INVOCATION_ID), and on Linux and the BSDs a display.
pub fn desktop() -> bool {
    let var = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if var("INVOCATION_ID") {
        return false;
    }
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return true;
    }
    var("DISPLAY") || var("WAYLAND_DISPLAY")
}

/// `open_browser` as set, else on when listening on loopback from a desktop.
pub fn should_open_browser(setting: Option<bool>, address: IpAddr) -> bool {
    setting.unwrap_or_else(|| address.is_loopback() && desktop())
}

/// Opens `url` in the default browser: the command in `BROWSER` when set (`%s` is the URL, else
/// it is appended), else the platform's opener. Never waits for the browser.
pub fn open_in_browser(url: &str) {
    let mut command = match std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        Some(browser) => {
            let first = browser.split(':').next().unwrap_or_default().to_owned();
            let mut words: Vec<String> = first.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                words = words.iter().map(|w| w.replace("%s", url)).collect();
            } else {
                words.push(url.to_owned());
            }
            let mut command = std::process::Command::new(&words[0]);
            command.args(&words[1..]);
            command
        }
        None if cfg!(target_os = "windows") => {
            let mut command = std::process::Command::new("cmd");
            command.args(["/C", "start", "", url]);
            command
        }
        None if cfg!(target_os = "macos") => {
            let mut command = std::process::Command::new("open");
            command.arg(url);
            command
        }
        None => {
            let mut command = std::process::Command::new("xdg-open");
            command.arg(url);
            command
        }
    };
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    match command.spawn() {
        Ok(mut child) => {
            log::info!("opened {url} in the browser");
            // Reaped in the background: an opener may run as long as the browser.
            let _ = std::thread::Builder::new()
                .name("browser".into())
                .spawn(move || child.wait());
        }
        Err(e) => log::warn!("cannot open a browser ({e}); open {url} yourself"),
    }
}

/// Whether what listens at `address` is assetport (it answers `GET /api/about` so).
pub fn is_assetport(address: SocketAddr) -> bool {
    let address = if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    };
    let ask = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(
            b"GET /api/about HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )?;
        let mut answer = Vec::new();
        stream.take(64 * 1024).read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    ask().is_ok_and(|a| a.contains("\"name\":\"assetport\""))
}

/// The start's answer to a taken port.
pub fn port_taken(address: SocketAddr) -> String {
    format!(
        "port {port} on {ip} is taken by another program; stop it, or start assetport on another port with the setting `port` (ROCKET_PORT={other}, or port = {other} in Rocket.toml)",
        port = address.port(),
        ip = address.ip(),
        other = address.port().wrapping_add(1).max(1024),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn every_interface_gives_this_machines_url_and_each_lan_address() {
        let lan = ips(&[
            "127.0.0.1",
            "192.168.1.20",
            "10.0.0.5",
            "::1",
            "fe80::1",
            "2001:db8::7",
        ]);
        let all = urls("0.0.0.0:8000".parse().unwrap(), false, &lan);
        let shown: Vec<&str> = all.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(
            shown,
            [
                "http://localhost:8000/",
                "http://192.168.1.20:8000/",
                "http://10.0.0.5:8000/"
            ]
        );
        assert_eq!(all.iter().filter(|u| u.lan).count(), 2);
        let all = urls("[::]:8443".parse().unwrap(), true, &lan);
        let shown: Vec<&str> = all.iter().map(|u| u.url.as_str()).collect();
        assert!(shown.contains(&"https://[2001:db8::7]:8443/"), "{shown:?}");
        assert!(!shown.iter().any(|u| u.contains("fe80")), "{shown:?}");
    }

    #[test]
    fn one_address_gives_its_own_url() {
        let one = urls(
            "127.0.0.1:8000".parse().unwrap(),
            false,
            &ips(&["192.168.1.20"]),
        );
        assert_eq!(
            one,
            [Url {
                url: "http://127.0.0.1:8000/".into(),
                lan: false
            }]
        );
        let lan = urls("192.168.1.20:80".parse().unwrap(), false, &[]);
        assert!(lan[0].lan);
    }

    #[test]
    fn the_lines_name_the_database_the_urls_and_how_to_stop() {
        let urls = urls(
            "0.0.0.0:8000".parse().unwrap(),
            false,
            &ips(&["192.168.1.20"]),
        );
        let text = lines(
            Path::new("/srv/a.sqlite3"),
            &urls,
            Some("http://localhost:8000/"),
        )
        .join("\n");
        for part in [
            "/srv/a.sqlite3",
            "http://192.168.1.20:8000/",
            "Ctrl-C",
            "reset-password admin",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn a_set_open_browser_wins_else_loopback_on_a_desktop() {
        let lan: IpAddr = "0.0.0.0".parse().unwrap();
        assert!(should_open_browser(Some(true), lan));
        assert!(!should_open_browser(
            Some(false),
            "127.0.0.1".parse().unwrap()
        ));
        assert!(!should_open_browser(None, lan));
    }

    #[test]
    fn a_taken_port_names_the_port_and_the_setting() {
        let text = port_taken("127.0.0.1:8000".parse().unwrap());
        assert!(
            text.contains("port 8000") && text.contains("ROCKET_PORT"),
            "{text}"
        );
    }
}
