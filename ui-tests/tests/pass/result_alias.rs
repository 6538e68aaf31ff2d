// A `Result` alias with one generic argument is still a `Result`: `Ok`
// answers the ack, `Err` is reported through `Display`.
use std::fmt;

#[derive(Debug)]
struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("my error")
    }
}

type Result<T> = std::result::Result<T, MyError>;

mod errors {
    pub type Result<T> = std::result::Result<T, String>;
}

#[derive(Default)]
struct Aliased;

#[socketio::handler]
impl Aliased {
    #[event]
    fn own(&self, a: u8) -> Result<String> {
        if a > 0 { Ok(a.to_string()) } else { Err(MyError) }
    }

    #[event]
    fn io(&self) -> std::io::Result<u8> {
        Ok(1)
    }

    #[event]
    async fn unit(&self) -> errors::Result<()> {
        Err("no".to_owned())
    }

    #[event]
    fn several(&self) -> Result<(u8, String)> {
        Ok((1, "two".to_owned()))
    }

    #[event]
    fn nested(&self) -> Result<std::result::Result<u8, u8>> {
        // The inner `Result` is a value: serialized as `{"Ok": 1}`.
        Ok(Ok(1))
    }
}

fn main() {
    let _io = socketio::SocketIo::builder(Aliased::default).build();
}
