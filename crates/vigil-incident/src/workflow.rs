//! The workflow as data: states, terminal states, the severity ladder, roles and actions.
//!
//! A domain describes its incident workflow in a TOML file (see `workflows/` in this crate);
//! [`Workflow::from_toml_str`] parses and validates it. Nothing in the engine knows any state,
//! action or level by name except through this description.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Who may perform an action.
///
/// The ordering is explicit, not derived:
///
/// - Human roles form a ladder **Operator < Supervisor**: a supervisor may do everything an
///   operator may (and may set levels wherever an operator may).
/// - **System** is the automatic engine (rules raising a level, sensors). It is not on the human
///   ladder: it may perform only actions whose role is `system`, and automatic level raises up
///   to [`Workflow::auto_max_level`]. Humans may not perform `system` actions either, so the
///   audit trail always tells a machine decision from a human one.
///
/// [`Role::permits`] is the single place where this rule lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The automatic engine.
    System,
    /// A human operator at the centre.
    Operator,
    /// A human supervisor: everything an operator may do, and more.
    Supervisor,
}

impl Role {
    /// Whether an actor with this role may do what needs `needed`.
    pub const fn permits(self, needed: Role) -> bool {
        matches!(
            (self, needed),
            (Role::System, Role::System)
                | (Role::Operator, Role::Operator)
                | (Role::Supervisor, Role::Operator)
                | (Role::Supervisor, Role::Supervisor)
        )
    }

    /// Whether this is a human role (operator or supervisor).
    pub const fn is_human(self) -> bool {
        !matches!(self, Role::System)
    }

    /// The lowercase name, as in workflow files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which configured channels an action notifies. Channels themselves (which partners) are
/// deployment configuration ([`crate::IncidentEngine::set_channels`]), not workflow data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelSelect {
    /// The national chain (own command and control).
    NationalChain,
    /// Every configured partner channel, or only the one named by the action's `party`
    /// argument when it is given.
    Partners,
    /// Every configured channel.
    All,
}

/// One action operators (or the system) can take on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// Unique name, e.g. `acknowledge`.
    pub name: String,
    /// States the action is allowed from; empty means any non-terminal state.
    #[serde(default)]
    pub from: Vec<String>,
    /// State the incident moves to; `None` means it stays where it is.
    #[serde(default)]
    pub to: Option<String>,
    /// Role needed (see [`Role::permits`]).
    pub role: Role,
    /// A non-empty `reason` argument is required (it goes to the audit trail).
    #[serde(default)]
    pub needs_reason: bool,
    /// A non-empty `remark` argument is required.
    #[serde(default)]
    pub needs_remark: bool,
    /// A non-empty `party` argument is required (e.g. who takes the hand-over).
    #[serde(default)]
    pub needs_party: bool,
    /// The action sets the level: a `level` argument is required and checked against the
    /// actor's right (see [`Workflow::classify_role`]). Other actions refuse a `level`.
    #[serde(default)]
    pub sets_level: bool,
    /// Channels the action notifies, all at the same moment.
    #[serde(default)]
    pub notifies: Vec<ChannelSelect>,
}

/// A complete workflow description. Load it with [`Workflow::from_toml_str`], which validates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Name of the workflow, e.g. `renegade`.
    pub name: String,
    /// All states; the first is the initial state.
    pub states: Vec<String>,
    /// States that close the incident (no further transition).
    pub terminal: Vec<String>,
    /// The ordered severity ladder, index 0 lowest.
    pub levels: Vec<String>,
    /// Highest level index the automatic engine may raise to; above it needs a human with
    /// [`Workflow::classify_role`].
    pub auto_max_level: usize,
    /// Role needed to set a level above `auto_max_level`, or to change a level that is above it.
    /// Must be a human role; roles above it on the human ladder may too.
    pub classify_role: Role,
    /// Reaching this level index notifies every configured channel at the same moment.
    #[serde(default)]
    pub notify_at_level: Option<usize>,
    /// State the incident moves to when notified, if it is still in an earlier state (by the
    /// order of `states`).
    #[serde(default)]
    pub notify_state: Option<String>,
    /// The actions.
    #[serde(default)]
    pub actions: Vec<ActionDef>,
}

/// Action names the engine uses for its own transitions; a workflow may not define them.
pub const RESERVED_ACTIONS: [&str; 3] = ["open", "auto_level", "notify"];

/// Why a workflow was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The TOML did not parse or did not match the schema.
    #[error("workflow does not parse: {0}")]
    Parse(String),
    /// A name was empty.
    #[error("workflow has an empty {what} name")]
    EmptyName {
        /// `state`, `level`, `action` or `workflow`.
        what: &'static str,
    },
    /// `states` is empty.
    #[error("workflow has no states")]
    NoStates,
    /// `levels` is empty.
    #[error("workflow has no levels")]
    NoLevels,
    /// A name appears twice.
    #[error("duplicate {what} name {name:?}")]
    Duplicate {
        /// `state`, `terminal state`, `level` or `action`.
        what: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A terminal state is not among the states.
    #[error("terminal state {0:?} is not a state")]
    UnknownTerminal(String),
    /// The initial state is terminal: nothing could ever happen.
    #[error("initial state {0:?} is terminal")]
    InitialIsTerminal(String),
    /// No terminal state: incidents could never close.
    #[error("workflow has no terminal state")]
    NoTerminal,
    /// An action names a state that does not exist.
    #[error("action {action:?} names unknown state {state:?}")]
    UnknownState {
        /// The action.
        action: String,
        /// The unknown state.
        state: String,
    },
    /// An action is allowed from a terminal state, which accepts no transition.
    #[error("action {action:?} is allowed from terminal state {state:?}")]
    FromTerminal {
        /// The action.
        action: String,
        /// The terminal state.
        state: String,
    },
    /// An action uses a name the engine keeps for its own transitions.
    #[error("action name {0:?} is reserved for the engine")]
    ReservedAction(String),
    /// A level index is outside the ladder.
    #[error("{what} = {index} is out of range (the ladder has {levels} levels)")]
    LevelOutOfRange {
        /// `auto_max_level` or `notify_at_level`.
        what: &'static str,
        /// The index given.
        index: usize,
        /// How many levels there are.
        levels: usize,
    },
    /// `notify_state` is not a state.
    #[error("notify_state {0:?} is not a state")]
    UnknownNotifyState(String),
    /// `notify_state` is terminal: notifying would close the incident.
    #[error("notify_state {0:?} is terminal")]
    NotifyStateTerminal(String),
    /// `classify_role` is `system`: levels above the automatic cap must need a human.
    #[error("classify_role must be a human role (operator or supervisor)")]
    ClassifyRoleSystem,
}

/// A validated workflow with its lookup tables (names to indexes), built once.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) wf: Workflow,
    pub(crate) state_index: BTreeMap<String, usize>,
    pub(crate) action_index: BTreeMap<String, usize>,
    pub(crate) terminal: Vec<bool>,
    /// Per action: allowed state indexes (`None`: any non-terminal state).
    pub(crate) action_from: Vec<Option<BTreeSet<usize>>>,
    pub(crate) notify_state: Option<usize>,
}

impl Compiled {
    /// Index of a state name known to exist (states come only from the workflow).
    pub(crate) fn state_idx(&self, name: &str) -> Option<usize> {
        self.state_index.get(name).copied()
    }
}

impl Workflow {
    /// Parses a TOML workflow and validates it.
    pub fn from_toml_str(text: &str) -> Result<Workflow, WorkflowError> {
        let wf: Workflow = toml::from_str(text).map_err(|e| WorkflowError::Parse(e.to_string()))?;
        wf.validate()?;
        Ok(wf)
    }

    /// Checks the workflow is consistent; the error names the first problem found.
    pub fn validate(&self) -> Result<(), WorkflowError> {
        self.compile().map(|_| ())
    }

    /// The initial state (the first of `states`), if any.
    pub fn initial_state(&self) -> Option<&str> {
        self.states.first().map(String::as_str)
    }

    /// The name of level `index`, if it exists.
    pub fn level_name(&self, index: usize) -> Option<&str> {
        self.levels.get(index).map(String::as_str)
    }

    /// The index of the level named `name`, if any.
    pub fn level_index(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == name)
    }

    /// The action named `name`, if any.
    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }

    pub(crate) fn compile(&self) -> Result<Compiled, WorkflowError> {
        if self.name.trim().is_empty() {
            return Err(WorkflowError::EmptyName { what: "workflow" });
        }
        if self.states.is_empty() {
            return Err(WorkflowError::NoStates);
        }
        if self.levels.is_empty() {
            return Err(WorkflowError::NoLevels);
        }
        let state_index = unique_index(&self.states, "state")?;
        unique_index(&self.levels, "level")?;
        unique_index(&self.terminal, "terminal state")?;

        let mut terminal = vec![false; self.states.len()];
        for t in &self.terminal {
            let i = *state_index
                .get(t)
                .ok_or_else(|| WorkflowError::UnknownTerminal(t.clone()))?;
            terminal[i] = true;
        }
        if self.terminal.is_empty() {
            return Err(WorkflowError::NoTerminal);
        }
        if terminal[0] {
            return Err(WorkflowError::InitialIsTerminal(self.states[0].clone()));
        }

        let n_levels = self.levels.len();
        if self.auto_max_level >= n_levels {
            return Err(WorkflowError::LevelOutOfRange {
                what: "auto_max_level",
                index: self.auto_max_level,
                levels: n_levels,
            });
        }
        if let Some(l) = self.notify_at_level
            && l >= n_levels
        {
            return Err(WorkflowError::LevelOutOfRange {
                what: "notify_at_level",
                index: l,
                levels: n_levels,
            });
        }
        if !self.classify_role.is_human() {
            return Err(WorkflowError::ClassifyRoleSystem);
        }
        let notify_state = match &self.notify_state {
            None => None,
            Some(s) => {
                let i = *state_index
                    .get(s)
                    .ok_or_else(|| WorkflowError::UnknownNotifyState(s.clone()))?;
                if terminal[i] {
                    return Err(WorkflowError::NotifyStateTerminal(s.clone()));
                }
                Some(i)
            }
        };

        let names: Vec<String> = self.actions.iter().map(|a| a.name.clone()).collect();
        let action_index = unique_index(&names, "action")?;
        let mut action_from = Vec::with_capacity(self.actions.len());
        for a in &self.actions {
            if RESERVED_ACTIONS.contains(&a.name.as_str()) {
                return Err(WorkflowError::ReservedAction(a.name.clone()));
            }
            let lookup = |s: &String| {
                state_index
                    .get(s)
                    .copied()
                    .ok_or_else(|| WorkflowError::UnknownState {
                        action: a.name.clone(),
                        state: s.clone(),
                    })
            };
            if let Some(to) = &a.to {
                lookup(to)?;
            }
            if a.from.is_empty() {
                action_from.push(None);
            } else {
                let mut set = BTreeSet::new();
                for s in &a.from {
                    let i = lookup(s)?;
                    if terminal[i] {
                        return Err(WorkflowError::FromTerminal {
                            action: a.name.clone(),
                            state: s.clone(),
                        });
                    }
                    set.insert(i);
                }
                action_from.push(Some(set));
            }
        }

        Ok(Compiled {
            wf: self.clone(),
            state_index,
            action_index,
            terminal,
            action_from,
            notify_state,
        })
    }
}

/// Name -> index, refusing empty and repeated names.
fn unique_index(
    names: &[String],
    what: &'static str,
) -> Result<BTreeMap<String, usize>, WorkflowError> {
    let mut map = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.trim().is_empty() {
            return Err(WorkflowError::EmptyName { what });
        }
        if map.insert(n.clone(), i).is_some() {
            return Err(WorkflowError::Duplicate {
                what,
                name: n.clone(),
            });
        }
    }
    Ok(map)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn role_ladder_is_explicit() {
        use Role::*;
        // (actor, needed, permitted)
        let table = [
            (System, System, true),
            (System, Operator, false),
            (System, Supervisor, false),
            (Operator, System, false),
            (Operator, Operator, true),
            (Operator, Supervisor, false),
            (Supervisor, System, false),
            (Supervisor, Operator, true),
            (Supervisor, Supervisor, true),
        ];
        for (actor, needed, ok) in table {
            assert_eq!(actor.permits(needed), ok, "{actor} doing a {needed} action");
        }
    }
}
