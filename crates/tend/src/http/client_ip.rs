//! The client's IP address, for rate limits and logs. Behind a load
//! balancer every connection comes from the balancer, so when the peer is
//! one of the configured trusted proxies (`--trusted-proxies`) the address
//! is taken from `X-Forwarded-For`: the rightmost entry that is not itself
//! a trusted proxy (entries further left were written by the client and
//! prove nothing). Without trusted proxies the header is ignored.

use super::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The header a proxy names the client in.
const FORWARDED_FOR: &str = "x-forwarded-for";
/// Most `X-Forwarded-For` entries read; a longer chain is a forgery.
const MAX_HOPS: usize = 16;

/// The client's address, as [`client_ip`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.web.trusted_proxies,
        )))
    }
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev().take(MAX_HOPS) {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// Reads `--trusted-proxies`: addresses or networks (`10.0.0.0/8`),
/// separated by spaces or commas.
pub fn parse_trusted(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split([' ', ','])
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "trusted proxy `{p}` must be an IP address or a network such as 10.0.0.0/8"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(FORWARDED_FOR, xff.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusts_the_header_only_from_a_trusted_proxy() {
        let trusted = parse_trusted("10.0.0.0/8, 127.0.0.1").unwrap();
        let h = headers("6.6.6.6, 203.0.113.9");
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.9"));
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        let chain = headers("203.0.113.9, 10.1.1.1");
        assert_eq!(
            client_ip(ip("10.2.2.2"), &chain, &trusted),
            ip("203.0.113.9")
        );
        let garbage = headers("not an address");
        assert_eq!(
            client_ip(ip("127.0.0.1"), &garbage, &trusted),
            ip("127.0.0.1")
        );
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.example.com").is_err());
    }

    proptest! {
        /// Whatever the header says, the answer is the peer or an address
        /// the header names, and never a trusted proxy unless all are.
        #[test]
        fn answers_the_peer_or_a_named_hop(hops in proptest::collection::vec(any::<[u8; 4]>(), 0..40)) {
            let trusted = parse_trusted("10.0.0.0/8").unwrap();
            let named: Vec<IpAddr> = hops.iter().map(|o| IpAddr::from(*o)).collect();
            let xff = named.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let peer = ip("10.0.0.1");
            let h = if xff.is_empty() { HeaderMap::new() } else { headers(&xff) };
            let got = client_ip(peer, &h, &trusted);
            prop_assert!(got == peer || named.contains(&got));
            if named.iter().rev().take(MAX_HOPS).any(|i| !trusted[0].contains(i)) {
                prop_assert!(!trusted[0].contains(&got));
            }
        }
    }
}
