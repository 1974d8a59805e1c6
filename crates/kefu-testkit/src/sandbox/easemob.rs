//! The easemob emulator (being built).
