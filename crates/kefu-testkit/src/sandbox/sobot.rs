//! The sobot emulator (being built).
