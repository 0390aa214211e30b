//! The client's address, for login throttling and the request log. Behind a
//! reverse proxy the TCP peer is the proxy; the client is then read from the
//! forwarding header, walked from the right (the hop nearest to Warden)
//! through trusted proxies only, so a client cannot choose its own address
//! by sending the header itself.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The address a request came from, as the listener resolved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Which header the trusted proxies write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`
    Forwarded,
}

#[derive(Clone, Debug)]
pub struct TrustedProxies {
    pub nets: Vec<IpNet>,
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    /// Parses `trusted_proxies` (CIDRs or addresses, comma-separated).
    pub fn parse(list: &str, header: ForwardedHeader) -> Result<TrustedProxies, String> {
        let nets = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or CIDR (e.g. 10.0.0.0/8)"))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in self.hops(headers).into_iter().rev() {
            // A malformed hop ends the walk at the last address we could trust.
            let Some(ip) = hop else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }

    /// Every hop the header lists, left to right (`None` where unreadable).
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let name = match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        headers
            .get_all(name)
            .iter()
            .flat_map(|v| match v.to_str() {
                Ok(v) => v.split(',').map(|h| self.hop(h)).collect(),
                Err(_) => vec![None],
            })
            .collect()
    }

    fn hop(&self, text: &str) -> Option<IpAddr> {
        let text = text.trim();
        let node = match self.header {
            ForwardedHeader::XForwardedFor => text,
            ForwardedHeader::Forwarded => text
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("for"))?
                .1
                .trim_matches('"'),
        };
        parse_node(node).map(canonical)
    }
}

/// `203.0.113.7`, `203.0.113.7:443`, `[2001:db8::1]`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let t =
            TrustedProxies::parse("10.0.0.0/8, 192.0.2.1", ForwardedHeader::XForwardedFor).unwrap();
        let h = headers("x-forwarded-for", &["198.51.100.9, 203.0.113.7, 10.1.1.1"]);
        // Through two trusted proxies: the client is 203.0.113.7, not what it claimed.
        assert_eq!(t.client(ip("192.0.2.1"), &h), ip("203.0.113.7"));
        // From an untrusted peer the header is ignored.
        assert_eq!(t.client(ip("203.0.113.50"), &h), ip("203.0.113.50"));
        // Split over two header lines, and mapped IPv4.
        let h = headers("x-forwarded-for", &["203.0.113.7", "10.1.1.1"]);
        assert_eq!(t.client(ip("::ffff:10.2.2.2"), &h), ip("203.0.113.7"));
        // A malformed hop stops the walk at the last trusted address.
        let h = headers("x-forwarded-for", &["203.0.113.7, garbage"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn rfc7239_forwarded_is_read_when_chosen() {
        let t = TrustedProxies::parse("10.0.0.0/8", ForwardedHeader::Forwarded).unwrap();
        let h = headers(
            "forwarded",
            &["for=198.51.100.9;proto=https, for=\"[2001:db8::7]:4711\", for=10.0.0.9:80"],
        );
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("2001:db8::7"));
        // The other header is not read.
        let h = headers("x-forwarded-for", &["203.0.113.7"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn bad_settings_are_named() {
        let e =
            TrustedProxies::parse("10.0.0.0/8, nope", ForwardedHeader::XForwardedFor).unwrap_err();
        assert!(e.contains("\"nope\""), "{e}");
    }
}
