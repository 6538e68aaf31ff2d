//! The argument binder the macros generate calls: any event name and any
//! JSON arguments bind or fail with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::__private::{Binder, rest};
use socketio::{Event, RawJson};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first character picks the mode; the rest is the arguments.
    let split = text.char_indices().nth(1).map_or(text.len(), |(i, _)| i);
    let (flags, json) = text.split_at(split);
    let Ok(args) = serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(json) else { return };
    let mut event = Event::new("fuzz", args.into_iter().map(RawJson::from).collect());
    let positional = flags == "p";
    let binder = Binder::new(&event, &["a", "b", "c", "rest"], positional);
    let _ = binder.required::<i64>(0, "a");
    let _ = binder.optional::<String>(1, "b");
    let _ = binder.required::<Vec<Option<f64>>>(2, "c");
    let _ = binder.finish(3);
    let keyword = binder.is_keyword();
    let _ = rest::<serde_json::Value>(&mut event, keyword, 3, "rest");
    let _ = rest::<RawJson>(&mut event, keyword, 2, "raw");
});
