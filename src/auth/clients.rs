//! Per-client-address rate limit of browser keys: a key ships in a web page, so anyone can
//! send with it; each client address gets its own token bucket (over every browser key), kept
//! in a bounded table. The client address is the socket's peer, or the one `X-Forwarded-For`
//! names when the peer is a trusted proxy (`access.trusted_proxies`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use super::AuthError;
use super::credentials::ClientAddress;
use crate::config::AccessConfig;

/// An `access.trusted_proxies` entry that is neither an address nor a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "access.trusted_proxies[{index}]: {entry:?} is not an IP address or network \
     (10.0.0.1, 10.0.0.0/8, ::1)"
)]
pub struct InvalidTrustedProxy {
    pub index: usize,
    pub entry: String,
}

/// Checks `access.trusted_proxies`.
pub fn check(config: &AccessConfig) -> Result<(), InvalidTrustedProxy> {
    trusted_networks(&config.trusted_proxies).map(|_| ())
}

fn trusted_networks(entries: &[String]) -> Result<Vec<IpNet>, InvalidTrustedProxy> {
    let parse = |(index, entry): (usize, &String)| {
        let text = entry.trim();
        let network = text.parse::<IpNet>();
        let address = || text.parse::<IpAddr>().map(IpNet::from);
        network
            .or_else(|_| address())
            .map_err(|_| InvalidTrustedProxy {
                index,
                entry: entry.clone(),
            })
    };
    entries.iter().enumerate().map(parse).collect()
}

/// The buckets of client addresses, and who may name the client.
pub struct ClientLimits {
    limiter: Mutex<DefaultKeyedRateLimiter<IpAddr>>,
    quota: Quota,
    max_clients: usize,
    trusted: Vec<IpNet>,
    clock: DefaultClock,
}

impl ClientLimits {
    /// The configured limit; `trusted_proxies` was checked at startup ([`check`]), an entry
    /// that does not parse here trusts nothing.
    pub fn new(config: &AccessConfig) -> ClientLimits {
        let rate =
            NonZeroU32::new(config.browser_client_requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.browser_client_burst.max(rate.get())).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        ClientLimits {
            limiter: Mutex::new(RateLimiter::keyed(quota)),
            quota,
            max_clients: config.browser_clients_max.max(1),
            trusted: trusted_networks(&config.trusted_proxies).unwrap_or_default(),
            clock: DefaultClock::default(),
        }
    }

    /// The address a request came from: the peer, or when the peer is a trusted proxy the
    /// rightmost `X-Forwarded-For` hop that is not one (the leftmost when all are).
    pub fn client_of(&self, address: &ClientAddress) -> Option<IpAddr> {
        let peer = address.peer?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let Some(forwarded) = address.forwarded_for.as_deref() else {
            return Some(peer);
        };
        let hops: Vec<IpAddr> = forwarded
            .split(',')
            .map_while(|hop| hop.trim().parse().ok())
            .collect();
        let untrusted = hops.iter().rev().find(|hop| !self.is_trusted(**hop));
        untrusted.or(hops.first()).copied().or(Some(peer))
    }

    /// Takes one request from the client's bucket, or says when to retry; a request whose
    /// address is unknown (no socket peer, as in in-process tests) is not limited.
    pub fn check(&self, address: &ClientAddress) -> Result<(), AuthError> {
        let Some(client) = self.client_of(address) else {
            return Ok(());
        };
        let mut limiter = self.limiter.lock().expect("client limiter lock");
        if limiter.len() >= self.max_clients {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if limiter.len() >= self.max_clients {
            tracing::warn!(
                clients = limiter.len(),
                "browser client table full; forgotten"
            );
            *limiter = RateLimiter::keyed(self.quota);
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AuthError::ClientRateLimited {
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.trusted
            .iter()
            .any(|network| network.contains(&address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(trusted: &[&str], per_second: u32, burst: u32, max: usize) -> ClientLimits {
        let config = AccessConfig {
            trusted_proxies: trusted.iter().map(|t| t.to_string()).collect(),
            browser_client_requests_per_second: per_second,
            browser_client_burst: burst,
            browser_clients_max: max,
            ..AccessConfig::default()
        };
        ClientLimits::new(&config)
    }

    fn from(peer: &str, forwarded_for: Option<&str>) -> ClientAddress {
        ClientAddress {
            peer: Some(peer.parse().unwrap()),
            forwarded_for: forwarded_for.map(str::to_owned),
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let limits = limits(&["10.0.0.0/8", "::1"], 1, 1, 10);
        let spoofed = from("203.0.113.9", Some("198.51.100.1"));
        assert_eq!(limits.client_of(&spoofed), ip("203.0.113.9"));
        let proxied = from("10.1.2.3", Some("198.51.100.7, 203.0.113.5, 10.0.0.2"));
        assert_eq!(limits.client_of(&proxied), ip("203.0.113.5"));
        let all_trusted = from("::1", Some("10.0.0.5, 10.0.0.6"));
        assert_eq!(limits.client_of(&all_trusted), ip("10.0.0.5"));
        let no_header = from("10.1.2.3", None);
        assert_eq!(limits.client_of(&no_header), ip("10.1.2.3"));
        let garbage = from("10.1.2.3", Some("not an address"));
        assert_eq!(limits.client_of(&garbage), ip("10.1.2.3"));
        let mapped = from("::ffff:10.0.0.1", Some("198.51.100.2"));
        assert_eq!(limits.client_of(&mapped), ip("198.51.100.2"));
        assert_eq!(limits.client_of(&ClientAddress::default()), None);
    }

    #[test]
    fn each_address_has_its_own_bucket() {
        let limits = limits(&[], 1, 3, 100);
        let ann = from("198.51.100.1", None);
        let bob = from("198.51.100.2", None);
        for _ in 0..3 {
            assert_eq!(limits.check(&ann), Ok(()));
        }
        let refused = limits.check(&ann).unwrap_err();
        assert!(matches!(
            refused,
            AuthError::ClientRateLimited {
                retry_after_seconds: 1
            }
        ));
        assert_eq!(limits.check(&bob), Ok(()));
    }

    #[test]
    fn the_table_of_addresses_stays_bounded() {
        let limits = limits(&[], 1, 1, 50);
        for i in 0..1_000u32 {
            let peer = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            let address = ClientAddress {
                peer: Some(IpAddr::V4(peer)),
                forwarded_for: None,
            };
            let _ = limits.check(&address);
            assert!(limits.limiter.lock().unwrap().len() <= 50);
        }
    }

    #[test]
    fn trusted_proxies_must_be_addresses_or_networks() {
        let config = |entries: &[&str]| AccessConfig {
            trusted_proxies: entries.iter().map(|e| e.to_string()).collect(),
            ..AccessConfig::default()
        };
        assert!(check(&config(&["10.0.0.0/8", "192.168.1.1", "::1", "fd00::/8"])).is_ok());
        let error = check(&config(&["10.0.0.1", "proxy.local"])).unwrap_err();
        assert_eq!(error.index, 1);
        assert!(
            error.to_string().starts_with("access.trusted_proxies[1]"),
            "{error}"
        );
    }
}
