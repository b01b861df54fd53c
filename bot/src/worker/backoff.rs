//! Retry delays: exponential with full jitter, capped.

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The delay before attempt `attempt + 1` (attempt counts from 1): a random duration
    /// between half and all of `min(max, base * 2^(attempt-1))`, so retries of many
    /// deliveries spread out rather than arriving together.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.max);
        let fraction = 0.5 + 0.5 * unit.clamp(0.0, 1.0);
        ceiling.mul_f64(fraction)
    }

    pub fn delay_random(&self, attempt: u32) -> Duration {
        self.delay(attempt, fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps_with_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(1000, 1.0), Duration::from_secs(1));
        for attempt in 1..20 {
            let d = b.delay_random(attempt);
            assert!(d <= b.max && d >= Duration::from_millis(50));
        }
    }
}
