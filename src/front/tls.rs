//! TLS on the public listener, terminated here (rustls with its `ring` provider, TLS 1.2 and
//! 1.3 only), so that passwords and sessions need no proxy to travel encrypted. Rocket's own
//! `tls` setting is not used: Rocket is built without its `tls` feature, and it listens on
//! loopback behind this listener anyway.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{crypto, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The `tls` setting (the key names Rocket uses): PEM files of the certificate chain (the
/// server's certificate first) and of its private key.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct TlsFiles {
    pub certs: PathBuf,
    pub key: PathBuf,
}

/// Reads the certificate chain and key. Any fault stops the start with a message naming the
/// setting and the file.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let certs_file = files.certs.display();
    let key_file = files.key.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.certs)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("tls.certs: cannot read certificates from {certs_file}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "tls.certs: no PEM certificate (BEGIN CERTIFICATE) in {certs_file}"
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("tls.key: cannot read a private key from {key_file}: {e}"))?;
    let provider = Arc::new(crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!("tls.certs ({certs_file}) and tls.key ({key_file}) do not go together: {e}")
        })?;
    // One request per connection, in HTTP/1.1, is all the front listener speaks.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The start line's warning for plain HTTP reachable beyond this machine: passwords and
/// sessions would cross the network readable by anyone on the way.
pub fn plain_http_warning(address: SocketAddr, tls: bool) -> Option<String> {
    if tls || address.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "{address} is reachable beyond this machine over plain HTTP: passwords and sessions \
         travel in clear text. Set tls.certs and tls.key, or put a proxy that speaks HTTPS in \
         front (docs/https.md)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_beyond_loopback_is_warned_about() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        for open in ["0.0.0.0:8000", "[::]:8000", "192.168.1.5:80"] {
            let warning = plain_http_warning(at(open), false).unwrap();
            assert!(warning.contains("clear text") && warning.contains("docs/https.md"));
            assert_eq!(plain_http_warning(at(open), true), None);
        }
        assert_eq!(plain_http_warning(at("127.0.0.1:8000"), false), None);
        assert_eq!(plain_http_warning(at("[::1]:8000"), false), None);
    }

    #[test]
    fn a_missing_or_wrong_file_is_named_with_its_setting() {
        let dir = tempfile::tempdir().unwrap();
        let missing = TlsFiles {
            certs: dir.path().join("none.pem"),
            key: dir.path().join("key.pem"),
        };
        let err = acceptor(&missing).err().unwrap();
        assert!(
            err.starts_with("tls.certs") && err.contains("none.pem"),
            "{err}"
        );
        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate\n").unwrap();
        let err = acceptor(&TlsFiles {
            certs: text.clone(),
            key: text.clone(),
        })
        .err()
        .unwrap();
        assert!(
            err.starts_with("tls.certs") && err.contains("text.pem"),
            "{err}"
        );
    }

    #[test]
    fn the_rocket_toml_table_is_read_and_a_bad_proxy_entry_refused() {
        use rocket::figment::providers::{Format, Toml};
        let toml = "[default]\ntrusted_proxies = [\"::1\", \"10.0.0.0/8\"]\n\
                    [default.tls]\ncerts = \"c.pem\"\nkey = \"k.pem\"\n";
        let figment = rocket::figment::Figment::from(Toml::string(toml).nested());
        let settings = crate::config::Settings::from_figment(&figment).unwrap();
        let files = TlsFiles {
            certs: "c.pem".into(),
            key: "k.pem".into(),
        };
        assert_eq!(settings.tls, Some(files));
        assert_eq!(settings.trusted_proxies, ["::1", "10.0.0.0/8"]);
        let bad = rocket::figment::Figment::from(
            Toml::string("[default]\ntrusted_proxies = [\"10.0.0.0/8\", \"nginx\"]").nested(),
        );
        let err = crate::config::Settings::from_figment(&bad).unwrap_err();
        assert!(
            err.contains("trusted_proxies") && err.contains("nginx"),
            "{err}"
        );
    }

    #[test]
    fn rockets_own_tls_setting_stays_off_on_the_inner_listener() {
        // The same `tls` table configures the front listener; Rocket, built without its `tls`
        // feature, must not take it too.
        let figment = crate::config::figment()
            .merge(("tls", serde_json::json!({"certs": "c.pem", "key": "k.pem"})));
        assert!(!rocket::Config::from(&figment).tls_enabled());
    }
}
