//! Where entries and checkpoints are kept: the [`LedgerStore`] trait and the in-memory
//! store. The SQLite store is in [`crate::sqlite`].

use std::collections::BTreeMap;

use crate::checkpoint::Checkpoint;
use crate::entry::Entry;

/// Whose checkpoint: this centre's own, or the partner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// Signed by this centre (and sent to the partner).
    Own,
    /// Signed by the partner and received from it.
    Partner,
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("ledger store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row cannot be read back as an entry (wrong blob length, negative number,
    /// bad direction code...). Verification reports it as a divergence at `seq`.
    #[error("ledger store: entry {seq} of link {link} is unreadable: {what}")]
    Corrupt {
        /// The link.
        link: String,
        /// The row's sequence number as stored.
        seq: u64,
        /// What is wrong with it.
        what: String,
    },
    /// A stored checkpoint cannot be read back.
    #[error("ledger store: a checkpoint of link {link} is unreadable: {what}")]
    CorruptCheckpoint {
        /// The link.
        link: String,
        /// What is wrong with it.
        what: String,
    },
}

/// Storage of a centre's ledger. Entries are appended in chain order by [`crate::Ledger`],
/// which checks continuity before it calls the store; a store only keeps and returns them.
pub trait LedgerStore {
    /// Appends entries (of any links) atomically: all or none are stored.
    fn append_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError>;

    /// Every entry of `link`, in `seq` order.
    fn entries(&self, link: &str) -> Result<Vec<Entry>, StoreError>;

    /// Every link with at least one entry or checkpoint, in name order.
    fn links(&self) -> Result<Vec<String>, StoreError>;

    /// Keeps a checkpoint.
    fn put_checkpoint(&mut self, origin: Origin, cp: &Checkpoint) -> Result<(), StoreError>;

    /// The checkpoints of `link` from `origin`, in the order they were put.
    fn checkpoints(&self, link: &str, origin: Origin) -> Result<Vec<Checkpoint>, StoreError>;
}

/// A ledger kept in memory (tests, tools, and centres run without a store).
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    entries: BTreeMap<String, Vec<Entry>>,
    checkpoints: BTreeMap<(String, Origin), Vec<Checkpoint>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored entries of `link`, mutable: for tests and demonstrations of tampering,
    /// which [`crate::Ledger::verify`] must then detect.
    pub fn entries_mut(&mut self, link: &str) -> Option<&mut Vec<Entry>> {
        self.entries.get_mut(link)
    }

    /// The stored checkpoints of `link` from `origin`, mutable (tampering tests).
    pub fn checkpoints_mut(&mut self, link: &str, origin: Origin) -> Option<&mut Vec<Checkpoint>> {
        self.checkpoints.get_mut(&(link.to_owned(), origin))
    }
}

impl LedgerStore for MemoryStore {
    fn append_entries(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        for e in entries {
            self.entries
                .entry(e.link.clone())
                .or_default()
                .push(e.clone());
        }
        Ok(())
    }

    fn entries(&self, link: &str) -> Result<Vec<Entry>, StoreError> {
        Ok(self.entries.get(link).cloned().unwrap_or_default())
    }

    fn links(&self) -> Result<Vec<String>, StoreError> {
        let mut links: Vec<String> = self.entries.keys().cloned().collect();
        links.extend(self.checkpoints.keys().map(|(l, _)| l.clone()));
        links.sort();
        links.dedup();
        Ok(links)
    }

    fn put_checkpoint(&mut self, origin: Origin, cp: &Checkpoint) -> Result<(), StoreError> {
        self.checkpoints
            .entry((cp.link.clone(), origin))
            .or_default()
            .push(cp.clone());
        Ok(())
    }

    fn checkpoints(&self, link: &str, origin: Origin) -> Result<Vec<Checkpoint>, StoreError> {
        Ok(self
            .checkpoints
            .get(&(link.to_owned(), origin))
            .cloned()
            .unwrap_or_default())
    }
}
