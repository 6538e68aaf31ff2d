//! The Flash socket policy server: Flash asks `<policy-file-request/>` on
//! its own port before its websocket may connect, and gets an XML policy
//! back (NUL-terminated). Anything else is refused by closing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::server::AllowedOrigins;

const REQUEST: &[u8] = b"<policy-file-request/>";

/// The policy for the allowed origins: every domain for `Any`, else the
/// host of each allowed origin, on any port.
pub(crate) fn policy(origins: &AllowedOrigins) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \
         \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy>",
    );
    let domains: Vec<String> = match origins {
        AllowedOrigins::Any => vec!["*".to_owned()],
        AllowedOrigins::List(list) => list
            .iter()
            .filter_map(|origin| {
                let host = origin.split("://").nth(1)?.split(':').next()?;
                let safe = host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*'));
                safe.then(|| host.to_owned())
            })
            .collect(),
    };
    for domain in domains {
        xml.push_str(&format!("<allow-access-from domain=\"{domain}\" to-ports=\"*\"/>"));
    }
    xml.push_str("</cross-domain-policy>");
    let mut bytes = xml.into_bytes();
    bytes.push(0);
    bytes
}

/// Serves policy requests until `stop` is cancelled.
pub(crate) async fn serve(listener: TcpListener, policy: Arc<[u8]>, timeout: Duration, stop: CancellationToken) {
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "flash policy server listening");
    }
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "flash policy accept failed");
                    continue;
                }
            },
            () = stop.cancelled() => return,
        };
        tokio::spawn(answer(stream, peer, policy.clone(), timeout));
    }
}

async fn answer(mut stream: TcpStream, peer: SocketAddr, policy: Arc<[u8]>, timeout: Duration) {
    let mut request = [0u8; 23];
    let mut read = 0;
    // Read until the request is complete (with or without its NUL), the
    // client sends something else, or the timeout passes.
    let complete = tokio::time::timeout(timeout, async {
        while read < REQUEST.len() {
            match stream.read(&mut request[read..]).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => read += n,
            }
            let seen = read.min(REQUEST.len());
            if request[..seen] != REQUEST[..seen] {
                return false;
            }
        }
        true
    })
    .await;
    if complete == Ok(true) {
        let _ = stream.write_all(&policy).await;
        let _ = stream.shutdown().await;
    } else {
        tracing::debug!(%peer, "flash policy request refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_name_the_allowed_domains_and_end_with_nul() {
        let any = policy(&AllowedOrigins::Any);
        assert!(any.ends_with(b"</cross-domain-policy>\0"));
        assert!(String::from_utf8_lossy(&any).contains("<allow-access-from domain=\"*\" to-ports=\"*\"/>"));
        let list = policy(&AllowedOrigins::List(vec![
            "http://app.example:8080".into(),
            "http://x\"y".into(),
        ]));
        let text = String::from_utf8_lossy(&list);
        assert!(text.contains("domain=\"app.example\""));
        assert!(!text.contains("x\"y"), "hostile origins are left out");
    }
}
