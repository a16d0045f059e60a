//! Staging: the session files an import is building, kept aside until the input was read whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use model::Timestamp;
use model::symbol::OptionSymbol;
use tape::{Kind, Owner, SessionBuilder, Tape};

use crate::ImportOptions;
use crate::error::ImportError;

/// Where the rows of a ticker or contract go.
#[derive(Clone, Debug)]
pub enum Subject {
    /// Not imported: filtered out, or a ticker the tape cannot name.
    Skip,
    Option {
        underlying: String,
        symbol: OptionSymbol,
    },
    Underlying {
        underlying: String,
    },
}

impl Subject {
    /// The underlying the rows go to and, for a contract, its symbol; `None` when they are not
    /// imported.
    pub fn target(&self) -> Option<(&String, Option<OptionSymbol>)> {
        match self {
            Subject::Skip => None,
            Subject::Option { underlying, symbol } => Some((underlying, Some(*symbol))),
            Subject::Underlying { underlying } => Some((underlying, None)),
        }
    }
}

/// The time and line of a series' previous row: rows of a series must come in time order.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowOrder(Option<(Timestamp, u64)>);

impl RowOrder {
    /// Forgets the previous row: a new series starts.
    pub fn restart(&mut self) {
        self.0 = None;
    }

    /// Takes the row at `ts` on `line`, or says why it is out of order (`name` names the series,
    /// `of` what its rows belong to: "a ticker", "a contract").
    pub fn take(
        &mut self,
        ts: Timestamp,
        line: u64,
        name: impl FnOnce() -> String,
        of: &str,
    ) -> Result<(), String> {
        if let Some((last, last_line)) = self.0
            && ts < last
        {
            return Err(format!(
                "{} at {ts} is earlier than its previous row (line {last_line}, {last}); rows \
                 of {of} must be in time order",
                name()
            ));
        }
        self.0 = Some((ts, line));
        Ok(())
    }
}

/// A kind of data a file provides. Importing it replaces that kind in every session it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provides {
    OptionQuotes,
    OptionTrades,
    /// One-minute (or daily) bars of options, as the vendor computed them.
    OptionBars,
    UnderlyingQuotes,
    UnderlyingTrades,
    UnderlyingBars,
    /// Published values of an index underlying.
    UnderlyingValues,
}

impl Provides {
    /// Whether this kind of data is the series `kind` of `owner`. Bars made from trades or values
    /// go with them.
    fn covers(self, owner: Owner, kind: Kind) -> bool {
        let option = matches!(owner, Owner::Contract(_));
        match self {
            Provides::OptionQuotes => option && kind == Kind::Quotes,
            Provides::OptionTrades => option && matches!(kind, Kind::Trades | Kind::Bars),
            Provides::OptionBars => option && kind == Kind::Bars,
            Provides::UnderlyingQuotes => !option && kind == Kind::Quotes,
            Provides::UnderlyingTrades => !option && matches!(kind, Kind::Trades | Kind::Bars),
            Provides::UnderlyingBars => !option && kind == Kind::Bars,
            Provides::UnderlyingValues => !option && matches!(kind, Kind::Values | Kind::Bars),
        }
    }
}

/// An underlying and a trading date: one session file.
pub type SessionKey = (String, Date);

struct Staged {
    builder: SessionBuilder,
    /// The session already holds exactly what this file provides.
    unchanged: bool,
}

/// Session files being built from one input file.
pub struct Staging<'a> {
    tape: &'a Tape,
    file: PathBuf,
    label: String,
    provides: BTreeSet<Provides>,
    options: &'a ImportOptions,
    sessions: BTreeMap<(String, Date), Staged>,
}

impl<'a> Staging<'a> {
    pub(crate) fn new(
        tape: &'a Tape,
        file: &Path,
        label: String,
        provides: BTreeSet<Provides>,
        options: &'a ImportOptions,
    ) -> Self {
        Staging {
            tape,
            file: file.to_path_buf(),
            label,
            provides,
            options,
            sessions: BTreeMap::new(),
        }
    }

    /// The input file, for error messages.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether the import includes this underlying.
    pub fn wants(&self, underlying: &str) -> bool {
        self.options.wants(underlying)
    }

    /// Adds kinds of data this file provides, for formats that learn it from their content. Must
    /// come before the first [`Staging::session`].
    pub fn declare(&mut self, provides: BTreeSet<Provides>) {
        debug_assert!(self.sessions.is_empty(), "declare before staging sessions");
        self.provides.extend(provides);
    }

    fn covered(&self, owner: Owner, kind: Kind) -> bool {
        self.provides.iter().any(|p| p.covers(owner, kind))
    }

    /// The session file for `underlying` on `date`, started on first use with everything the
    /// existing session holds that this file does not replace.
    pub fn session(
        &mut self,
        underlying: &str,
        date: Date,
    ) -> Result<&mut SessionBuilder, ImportError> {
        let key = (underlying.to_string(), date);
        if !self.sessions.contains_key(&key) {
            let staged = self.start(underlying, date)?;
            self.sessions.insert(key.clone(), staged);
        }
        Ok(&mut self.sessions.get_mut(&key).expect("just inserted").builder)
    }

    fn start(&self, underlying: &str, date: Date) -> Result<Staged, ImportError> {
        let file = &self.file;
        let tape_error = |e: tape::TapeError| {
            ImportError::whole(file, format!("session {underlying} {date}: {e}"))
        };
        let existing = self.tape.session(underlying, date).map_err(tape_error)?;
        let mut builder =
            SessionBuilder::create(self.tape.root(), underlying, date).map_err(tape_error)?;
        let mut unchanged = false;
        if let Some(existing) = existing {
            builder
                .copy_from(&existing, |_, owner, kind| !self.covered(owner, kind))
                .map_err(tape_error)?;
            unchanged = existing.sources().contains(&self.label)
                && existing
                    .series_list()
                    .filter(|(owner, kind, _, _)| self.covered(*owner, *kind))
                    .all(|(_, _, source, _)| source == self.label);
        }
        builder.source(&self.label);
        Ok(Staged { builder, unchanged })
    }

    /// Writes every staged session into the tape. Returns the sessions written and those left
    /// alone because they already held this file's data.
    pub(crate) fn commit(self) -> Result<(Vec<SessionKey>, Vec<SessionKey>), ImportError> {
        let mut written = Vec::new();
        let mut unchanged = Vec::new();
        for ((underlying, date), staged) in self.sessions {
            if staged.unchanged {
                unchanged.push((underlying, date));
                continue;
            }
            staged.builder.finish().map_err(|e| {
                ImportError::whole(
                    &self.file,
                    format!("writing session {underlying} {date}: {e}"),
                )
            })?;
            self.tape.evict(&underlying, date);
            written.push((underlying, date));
        }
        Ok((written, unchanged))
    }
}
