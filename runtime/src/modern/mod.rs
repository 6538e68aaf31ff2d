//! Socket.IO protocols 4 and 5 on top of Engine.IO 3 and 4: namespaces map
//! onto the same endpoint table and handlers as legacy endpoints, and their
//! connections share rooms with legacy ones.

mod session;

pub(crate) use session::ModernSession;
