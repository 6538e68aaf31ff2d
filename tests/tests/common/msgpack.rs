//! MessagePack written by hand for the `socket.io-msgpack-parser` probes,
//! in the compact forms notepack.io picks, independent of the crate's
//! encoder: `{type, data, nsp, id}` maps in node's key order.

/// One MessagePack value.
#[derive(Debug, Clone)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Bin(Vec<u8>),
    Arr(Vec<V>),
    Map(Vec<(String, V)>),
}

pub fn s(text: &str) -> V {
    V::Str(text.to_owned())
}

pub fn map(entries: &[(&str, V)]) -> V {
    V::Map(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

fn header(out: &mut Vec<u8>, len: usize, fix: u8, m16: u8, m32: u8) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len < 0x10000 {
        out.push(m16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn sized(out: &mut Vec<u8>, len: usize, markers: [u8; 3]) {
    if len < 0x100 {
        out.extend_from_slice(&[markers[0], len as u8]);
    } else if len < 0x10000 {
        out.push(markers[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(markers[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

pub fn write(out: &mut Vec<u8>, value: &V) {
    match value {
        V::Nil => out.push(0xc0),
        V::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        V::Int(n) if (0..0x80).contains(n) => out.push(*n as u8),
        V::Int(n) if (-32..0).contains(n) => out.push(*n as i8 as u8),
        V::Int(n) if (0..0x10000).contains(n) => {
            out.push(0xcd);
            out.extend_from_slice(&(*n as u16).to_be_bytes());
        }
        V::Int(n) => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
        V::Str(text) if text.len() < 32 => {
            out.push(0xa0 | text.len() as u8);
            out.extend_from_slice(text.as_bytes());
        }
        V::Str(text) => {
            sized(out, text.len(), [0xd9, 0xda, 0xdb]);
            out.extend_from_slice(text.as_bytes());
        }
        V::Bin(data) => {
            sized(out, data.len(), [0xc4, 0xc5, 0xc6]);
            out.extend_from_slice(data);
        }
        V::Arr(items) => {
            header(out, items.len(), 0x90, 0xdc, 0xdd);
            items.iter().for_each(|item| write(out, item));
        }
        V::Map(entries) => {
            header(out, entries.len(), 0x80, 0xde, 0xdf);
            for (key, value) in entries {
                write(out, &V::Str(key.clone()));
                write(out, value);
            }
        }
    }
}

/// A Socket.IO packet: `{type, data?, nsp, id?}`.
pub fn packet(kind: i64, data: Option<V>, nsp: &str, id: Option<i64>) -> Vec<u8> {
    let mut entries = vec![("type".to_owned(), V::Int(kind))];
    if let Some(data) = data {
        entries.push(("data".to_owned(), data));
    }
    entries.push(("nsp".to_owned(), s(nsp)));
    if let Some(id) = id {
        entries.push(("id".to_owned(), V::Int(id)));
    }
    let mut out = Vec::new();
    write(&mut out, &V::Map(entries));
    out
}

/// An EVENT's data: the name, then the arguments.
pub fn event(name: &str, args: &[V]) -> V {
    V::Arr(std::iter::once(s(name)).chain(args.iter().cloned()).collect())
}
