//! The overridable methods of Python's `BaseServer`, kept as closures:
//! shared by the blocking server and the event-loop server.

use std::sync::Arc;

use crate::{Address, RequestError, print_request_error};

pub(crate) type VerifyHook = Arc<dyn Fn(&Address) -> bool + Send + Sync>;
pub(crate) type ErrorHook = Arc<dyn Fn(&Address, &RequestError) + Send + Sync>;
pub(crate) type ActionHook = Arc<dyn Fn() + Send + Sync>;

/// `verify_request`, `handle_error`, `service_actions`, `handle_timeout`.
#[derive(Clone)]
pub(crate) struct Hooks {
    pub(crate) verify_request: Option<VerifyHook>,
    pub(crate) handle_error: ErrorHook,
    pub(crate) service_actions: Option<ActionHook>,
    pub(crate) handle_timeout: Option<ActionHook>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            verify_request: None,
            handle_error: Arc::new(print_request_error),
            service_actions: None,
            handle_timeout: None,
        }
    }
}

impl Hooks {
    /// Python's `verify_request`: whether to serve this client (default yes).
    pub(crate) fn verify(&self, client: &Address) -> bool {
        self.verify_request
            .as_ref()
            .is_none_or(|verify| verify(client))
    }

    /// Runs the `service_actions` hook, if one is set.
    pub(crate) fn service_actions(&self) {
        if let Some(hook) = &self.service_actions {
            hook();
        }
    }

    /// Runs the `handle_timeout` hook, if one is set.
    pub(crate) fn handle_timeout(&self) {
        if let Some(hook) = &self.handle_timeout {
            hook();
        }
    }
}
