//! Delivery of notifications to channels. The link layer implements [`NotificationSink`] for
//! the national chain and each partner; [`dispatch`] hands each notification to the sink of
//! its channel and keeps whatever could not be delivered.

use crate::model::{ChannelKind, IncidentId, Notification};
use std::collections::BTreeMap;

/// Why a sink did not take a notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The channel is down for now (link lost, queue full): worth retrying.
    #[error("channel unavailable: {0}")]
    Unavailable(String),
    /// The far end refused the message.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// Something that delivers notifications for one channel.
pub trait NotificationSink {
    /// Delivers one notification; `Ok` means the sink has taken responsibility for it.
    fn deliver(&mut self, n: &Notification) -> Result<(), SinkError>;
}

impl<T: NotificationSink + ?Sized> NotificationSink for Box<T> {
    fn deliver(&mut self, n: &Notification) -> Result<(), SinkError> {
        (**self).deliver(n)
    }
}

impl<T: NotificationSink + ?Sized> NotificationSink for &mut T {
    fn deliver(&mut self, n: &Notification) -> Result<(), SinkError> {
        (**self).deliver(n)
    }
}

/// Why one notification was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// No sink is registered for the channel.
    #[error("no sink for the channel")]
    NoSink,
    /// The sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// One notification that stayed in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFailure {
    /// The incident.
    pub incident: IncidentId,
    /// The channel.
    pub channel: ChannelKind,
    /// Why.
    pub error: DeliveryError,
}

/// Delivers every notification in `outbox` to the sink of its channel, in order.
///
/// Delivered notifications leave `outbox`; the others **stay in it**, in their order, for the
/// caller to retry on its next call (nothing is dropped silently), and each is reported in the
/// returned list. A notification whose channel has no sink stays too. Retrying may deliver a
/// notification for a channel after a later one for another channel: each carries its own `at`
/// (the moment of the fan-out), which is what the receiver should show.
pub fn dispatch<S: NotificationSink>(
    outbox: &mut Vec<Notification>,
    sinks: &mut BTreeMap<ChannelKind, S>,
) -> Vec<DeliveryFailure> {
    let mut failures = Vec::new();
    outbox.retain(|n| {
        let result = match sinks.get_mut(&n.channel) {
            None => Err(DeliveryError::NoSink),
            Some(sink) => sink.deliver(n).map_err(DeliveryError::from),
        };
        match result {
            Ok(()) => false,
            Err(error) => {
                failures.push(DeliveryFailure {
                    incident: n.incident,
                    channel: n.channel.clone(),
                    error,
                });
                true
            }
        }
    });
    failures
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use vigil_core::UnixTime;

    /// Records what it takes; fails while `down`.
    #[derive(Default)]
    struct Recorder {
        down: bool,
        got: Vec<IncidentId>,
    }

    impl NotificationSink for Recorder {
        fn deliver(&mut self, n: &Notification) -> Result<(), SinkError> {
            if self.down {
                return Err(SinkError::Unavailable("link down".into()));
            }
            self.got.push(n.incident);
            Ok(())
        }
    }

    fn note(id: u64, channel: ChannelKind) -> Notification {
        Notification {
            incident: IncidentId(id),
            subject: "s".into(),
            channel,
            at: UnixTime(1.0),
            level: 2,
            level_name: "SUSPECTED".into(),
            state: "notified".into(),
            summary: String::new(),
        }
    }

    #[test]
    fn failed_deliveries_stay_for_retry() {
        let ru = ChannelKind::Partner("RU".into());
        let no = ChannelKind::Partner("NO".into());
        let mut sinks: BTreeMap<ChannelKind, Recorder> = BTreeMap::new();
        sinks.insert(ChannelKind::NationalChain, Recorder::default());
        sinks.insert(
            ru.clone(),
            Recorder {
                down: true,
                ..Recorder::default()
            },
        );
        let mut outbox = vec![
            note(1, ChannelKind::NationalChain),
            note(1, ru.clone()),
            note(2, no.clone()),
            note(3, ru.clone()),
        ];
        let failures = dispatch(&mut outbox, &mut sinks);
        assert_eq!(
            failures,
            vec![
                DeliveryFailure {
                    incident: IncidentId(1),
                    channel: ru.clone(),
                    error: DeliveryError::Sink(SinkError::Unavailable("link down".into())),
                },
                DeliveryFailure {
                    incident: IncidentId(2),
                    channel: no.clone(),
                    error: DeliveryError::NoSink,
                },
                DeliveryFailure {
                    incident: IncidentId(3),
                    channel: ru.clone(),
                    error: DeliveryError::Sink(SinkError::Unavailable("link down".into())),
                },
            ]
        );
        let left: Vec<(u64, ChannelKind)> = outbox
            .iter()
            .map(|n| (n.incident.0, n.channel.clone()))
            .collect();
        assert_eq!(left, [(1, ru.clone()), (2, no.clone()), (3, ru.clone())]);
        assert_eq!(sinks[&ChannelKind::NationalChain].got, [IncidentId(1)]);

        // The link comes back: the retry delivers in order; the channel without a sink stays.
        sinks.get_mut(&ru).unwrap().down = false;
        let failures = dispatch(&mut outbox, &mut sinks);
        assert_eq!(failures.len(), 1);
        assert_eq!(sinks[&ru].got, [IncidentId(1), IncidentId(3)]);
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn boxed_trait_objects_are_sinks() {
        let mut sinks: BTreeMap<ChannelKind, Box<dyn NotificationSink + Send>> = BTreeMap::new();
        sinks.insert(ChannelKind::NationalChain, Box::new(Recorder::default()));
        let mut outbox = vec![note(1, ChannelKind::NationalChain)];
        assert!(dispatch(&mut outbox, &mut sinks).is_empty());
        assert!(outbox.is_empty());
    }
}
