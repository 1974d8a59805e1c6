//! Which emulator serves which vendor: the one place the sandbox harness's
//! users (`kefu --sandbox`, `kefu sandbox serve`) learn it, so they name no
//! vendor themselves.

use std::sync::Arc;

use kefu_core::Vendor;

use super::easemob::EasemobEmulator;
use super::sobot::SobotEmulator;
use super::{Emulator, SeedConfig};

/// The emulator of `vendor`, seeded with `seed`; `None` if testkit has none.
pub fn emulator_of(vendor: Vendor, seed: SeedConfig) -> Option<Arc<dyn Emulator>> {
    match vendor {
        Vendor::Sobot => Some(SobotEmulator::new(seed)),
        Vendor::Easemob => Some(EasemobEmulator::new(seed)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shipped_vendor_has_its_own_emulator() {
        for vendor in Vendor::ALL {
            let emulator = emulator_of(vendor, SeedConfig::default()).expect("emulator");
            assert_eq!(emulator.vendor(), vendor);
        }
        assert!(emulator_of(Vendor::new("udesk"), SeedConfig::default()).is_none());
    }
}
