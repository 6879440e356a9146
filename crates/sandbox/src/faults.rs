//! Fault injection, per request: `5xx=0.1,429=0.05,reset=0.05,slow=0.05,truncate=0.02,
//! malformed=0.05,expire-token=telegram@300,retry-after=1`. Each fault is shaped as the platform
//! would send it. `reset` and `truncate` strike after the platform acted (a reply is recorded,
//! then the connection drops or the answer arrives cut), the case that tests "never send twice".
//! `malformed` leaves the answer whole but makes one record in it unreadable; `malformed-page`
//! makes the page itself unreadable, its list of records turned into the text of its first
//! record (a customer's words, as a broken proxy or a platform bug would hand them back).

use crate::script::Channel;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Mutex;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub server_error: f64,
    pub rate_limit: f64,
    pub reset: f64,
    pub slow: f64,
    pub truncate: f64,
    pub malformed: f64,
    pub malformed_page: f64,
    /// (channel, n): after n requests, that channel's token is expired.
    pub expire: Vec<(Channel, u64)>,
    /// The Retry-After a 429 asks for, in seconds.
    pub retry_after: u64,
}

impl std::str::FromStr for Faults {
    type Err = String;
    fn from_str(spec: &str) -> Result<Self, String> {
        let mut f = Faults { retry_after: 1, ..Default::default() };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| format!("{part:?}: expected name=value"))?;
            let probability = || -> Result<f64, String> {
                let p: f64 = value.parse().map_err(|_| format!("{part:?}: {value:?} is not a number"))?;
                (0.0..=1.0).contains(&p).then_some(p).ok_or_else(|| format!("{part:?}: a probability is between 0 and 1"))
            };
            match name {
                "5xx" => f.server_error = probability()?,
                "429" => f.rate_limit = probability()?,
                "reset" => f.reset = probability()?,
                "slow" => f.slow = probability()?,
                "truncate" => f.truncate = probability()?,
                "malformed" => f.malformed = probability()?,
                "malformed-page" => f.malformed_page = probability()?,
                "retry-after" => f.retry_after = value.parse().map_err(|_| format!("{part:?}: seconds expected"))?,
                "expire-token" => {
                    let (channel, n) = value.split_once('@').ok_or_else(|| format!("{part:?}: expected CHANNEL@REQUESTS"))?;
                    let channel = Channel::ALL
                        .into_iter()
                        .find(|c| c.name() == channel)
                        .ok_or_else(|| format!("{part:?}: unknown channel {channel:?}"))?;
                    f.expire.push((channel, n.parse().map_err(|_| format!("{part:?}: {n:?} is not a count"))?));
                }
                other => {
                    return Err(format!("unknown fault {other:?}; known: 5xx, 429, reset, slow, truncate, malformed, malformed-page, expire-token, retry-after"))
                }
            }
        }
        if f.server_error + f.rate_limit + f.reset + f.slow + f.truncate + f.malformed + f.malformed_page > 1.0 {
            return Err("the fault probabilities add up to more than 1".into());
        }
        Ok(f)
    }
}

pub(crate) struct Injector {
    faults: Mutex<Faults>,
    pub(crate) rng: Mutex<StdRng>,
}

impl Injector {
    pub fn new(faults: Faults, seed: u64) -> Self {
        Injector { faults: Mutex::new(faults), rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0xfa17)) }
    }

    pub fn faults(&self) -> Faults {
        self.faults.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on, these faults (a test breaks the platform midway).
    pub fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_say_why() {
        let f: Faults = "5xx=0.1,429=0.05,reset=0.05,slow=0.05,truncate=0.02,expire-token=telegram@300".parse().unwrap();
        assert_eq!((f.server_error, f.truncate, f.retry_after), (0.1, 0.02, 1));
        assert_eq!(f.expire, vec![(Channel::Telegram, 300)]);
        assert_eq!("malformed=0.3".parse::<Faults>().unwrap().malformed, 0.3);
        assert_eq!("malformed-page=1".parse::<Faults>().unwrap().malformed_page, 1.0);
        assert!("5xx=2".parse::<Faults>().unwrap_err().contains("between 0 and 1"));
        assert!("boom=0.1".parse::<Faults>().unwrap_err().contains("unknown fault"));
        assert!("5xx=0.6,reset=0.6".parse::<Faults>().unwrap_err().contains("more than 1"));
        assert!("expire-token=fax@3".parse::<Faults>().unwrap_err().contains("unknown channel"));
    }
}
