//! Runnable examples of the `socketio` framework live under `examples/*/main.rs`.
