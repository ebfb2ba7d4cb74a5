//! Track-to-track fusion between two parties' trackers (the joint data fusion centre).
//!
//! Each party's tracker runs on its own radars only. Every cycle the fusion centre takes
//! both parties' *latest* confirmed tracks, predicts them to a common time, associates them
//! and fuses each pair by its [`FusionRule`] ([`fuse_pair`]).
//!
//! Association ([`associate`]): the distance of two estimates is the χ² statistic of their
//! difference in position and velocity with the sum of their covariances (the covariance of
//! the difference of two independent estimates of one object), gated at χ²₆ 99.99 %; pairs
//! are chosen by a global assignment ([`vigil_track::assign`], minimum total distance per
//! cluster of gated pairs, a track left alone costing the gate). [`FusionCentre`] favours
//! the pairs of its previous cycle by [`FusionCentre::keep_bonus`], so a joint track does not
//! jump between two close objects because their distances cross from one cycle to the next,
//! yet an early wrong pairing gives way once the objects have spread; a joint track keeps
//! its id when its partner changes.
//!
//! The fusion rule ([`FusionRule`]). The radars of the two parties are disjoint, so their
//! measurement errors are independent; what both estimates share is κ's prior (both filters
//! start κ from [`crate::filter::FilterConfig::kappa_prior`]; a partner track, which crosses
//! the link without κ, is given that prior too) and the process noise of the one true
//! object, which in the vacuum is small. The default, [`FusionRule::Decorrelated`], sums
//! both estimates' information and takes the κ prior out once
//! ([`vigil_track::fusion::decorrelated_fusion`]): both parties' data count, and the fused
//! ellipse is smaller than either party's. [`FusionRule::CovarianceIntersection`] assumes
//! nothing about the correlation and is consistent for every one, at the price of most of
//! the gain: with one party's radars much coarser it gives that party no weight at all.
//!
//! Neither rule counts a party's information twice over time: the fused estimate is never
//! fed back to either tracker, and each cycle fuses the latest local estimates afresh
//! (nothing of the previous cycle's joint track is kept in the fusion).

use serde::{Deserialize, Serialize};
use vigil_track::chi2::chi2_gate;
use vigil_track::fusion::{covariance_intersection, decorrelated_fusion};

use crate::filter::{BallisticFilter, Estimate};
use std::collections::BTreeMap;

use crate::impact::{
    GroundPrediction, ImpactCache, predict_impact, predict_impact_cheap, predict_impact_full,
};
use crate::tracker::{MissileTrack, TrackId, TrackStatus};

/// Which party's track went into a joint track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// Party.
    pub party: String,
    /// Its track.
    pub track: TrackId,
}

/// A joint track of the fusion centre.
#[derive(Debug, Clone, PartialEq)]
pub struct JointTrack {
    /// Identifier: stable across cycles from [`FusionCentre::cycle`] (it follows the first
    /// party's track, else the second's); from [`fuse`], the index in its output.
    pub id: u64,
    /// The local tracks fused (one or two).
    pub parts: Vec<Contribution>,
    /// The fused estimate at [`JointTrack::t`].
    pub est: Estimate,
    /// Time, s.
    pub t: f64,
    /// How the pair was fused (for a track of one party alone: the rule asked for).
    pub rule: FusionRule,
    /// With [`FusionRule::CovarianceIntersection`], the weight of the first party's track;
    /// `None` otherwise and for a track of one party alone.
    pub omega: Option<f64>,
    /// Impact prediction of the fused estimate (when asked for).
    pub impact: Option<GroundPrediction>,
}

/// How two parties' estimates of one object are fused (module docs: why the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FusionRule {
    /// Both estimates' information, with the common κ prior taken out once.
    #[default]
    Decorrelated,
    /// Covariance intersection: consistent whatever the correlation, smaller gain.
    CovarianceIntersection,
}

impl FusionRule {
    /// The name used in configuration and in `/data/missile.json`.
    pub fn name(self) -> &'static str {
        match self {
            FusionRule::Decorrelated => "decorrelated",
            FusionRule::CovarianceIntersection => "covariance_intersection",
        }
    }
}

/// Fuses one pair of estimates at one time by `rule`. Returns the estimate and, for
/// covariance intersection, the weight of `a`.
///
/// Decorrelated: the κ prior's information taken out is `1 / max(σκ², Pa_κκ, Pb_κκ)`, at
/// most what either estimate holds of κ (so the difference stays positive definite) and
/// never more than the prior itself. In the vacuum (κ unobservable, both at the prior) and
/// for a partner track (κ at the prior) it is the prior exactly; once a filter has
/// forgotten part of the prior through κ's random walk in the atmosphere it takes out less,
/// which is conservative for the other estimate's data.
pub fn fuse_pair(
    filter: &BallisticFilter,
    rule: FusionRule,
    a: &Estimate,
    b: &Estimate,
) -> Result<(Estimate, Option<f64>), vigil_track::filter::FilterError> {
    match rule {
        FusionRule::CovarianceIntersection => {
            let f = covariance_intersection(a, &b.x, &nalgebra::SMatrix::identity(), &b.p)?;
            Ok((f.estimate, Some(f.omega)))
        }
        FusionRule::Decorrelated => {
            let sd2 = filter.cfg.kappa_prior_sd.powi(2);
            let c = 1.0 / sd2.max(a.p[(6, 6)]).max(b.p[(6, 6)]);
            let mut info = nalgebra::SMatrix::<f64, 7, 7>::zeros();
            info[(6, 6)] = c;
            let mut vec = nalgebra::SVector::<f64, 7>::zeros();
            vec[6] = c * filter.cfg.kappa_prior;
            Ok((decorrelated_fusion(a, b, &info, &vec)?, None))
        }
    }
}

/// One party's input to the fusion.
#[derive(Debug, Clone, Copy)]
pub struct PartyTracks<'a> {
    /// Party name.
    pub party: &'a str,
    /// Its tracks (only confirmed ones are used).
    pub tracks: &'a [MissileTrack],
}

/// Fuses two parties' latest tracks at time `t` (every track is predicted to `t`; tracks
/// newer than `t` are used as they are). With `impact`, each joint track gets its own
/// impact prediction. Deterministic: joint tracks come in the order of party `a`'s tracks,
/// then `b`'s unmatched ones. Association: [`associate`] (no memory of pairs; use
/// [`FusionCentre`] for pairs and ids that hold across cycles).
pub fn fuse(
    filter: &BallisticFilter,
    rule: FusionRule,
    a: PartyTracks<'_>,
    b: PartyTracks<'_>,
    t: f64,
    impact: bool,
) -> Vec<JointTrack> {
    let mut out = fuse_keeping(filter, rule, a, b, t, impact, (&BTreeMap::new(), 0.0));
    for (i, j) in out.iter_mut().enumerate() {
        j.id = i as u64;
    }
    out
}

/// [`FusionCentre::keep_bonus`] of [`FusionCentre::new`], χ² units: about the mean of a
/// χ²₆ distance, so a pair gives way when another assignment is clearly better. Measured
/// on the dense cloud (`tests/association.rs`): never breaking a kept pair left the early
/// guesses of an unresolved cloud in place (80 % paired correctly); no bonus paired 88 %
/// but changed partners 708 times; 6 pairs 86 % with 152 changes.
pub const DEFAULT_KEEP_BONUS: f64 = 6.0;

/// The χ²₆ probability of the association gate.
pub const ASSOCIATION_GATE_PROB: f64 = 0.9999;

/// The χ² distance of two estimates of one object at one time: their difference in position
/// and velocity against the sum of their covariances. `None` when that sum is not positive
/// definite.
pub fn distance2(ga: &Estimate, gb: &Estimate) -> Option<f64> {
    let d = (ga.x - gb.x).fixed_rows::<6>(0).into_owned();
    let s = (ga.p + gb.p).fixed_view::<6, 6>(0, 0).into_owned();
    let ch = s.cholesky()?;
    let d2 = d.dot(&ch.solve(&d));
    d2.is_finite().then_some(d2)
}

/// Pairs the estimates `a` with the estimates `b` (all at one time) by a global assignment
/// of minimum total [`distance2`] within the χ²₆ gate ([`ASSOCIATION_GATE_PROB`]), an
/// estimate left alone costing the gate. The pairs of `keep` (indices into `a` and `b`, the
/// previous cycle's) are favoured by `keep_bonus` (χ² units): every other pair, and every
/// estimate left alone, costs that much more, so a kept pair gives way only to an
/// assignment better by more than the bonus. With an infinite bonus a kept pair inside the
/// gate is never broken. Returns the partner in `b` of each estimate of `a`, with its
/// distance.
pub fn associate(
    a: &[Estimate],
    b: &[Estimate],
    keep: &[(usize, usize)],
    keep_bonus: f64,
) -> Vec<Option<(usize, f64)>> {
    let gate = chi2_gate(6, ASSOCIATION_GATE_PROB);
    let mut out = vec![None; a.len()];
    let mut taken_b = vec![false; b.len()];
    let mut kept = std::collections::BTreeSet::new();
    for &(i, j) in keep {
        if i >= a.len() || j >= b.len() || out[i].is_some() || taken_b[j] {
            continue;
        }
        if let Some(d2) = distance2(&a[i], &b[j]).filter(|d| *d <= gate) {
            kept.insert((i, j));
            if keep_bonus.is_infinite() {
                out[i] = Some((j, d2));
                taken_b[j] = true;
            }
        }
    }
    let bonus = if keep_bonus.is_finite() {
        keep_bonus.max(0.0)
    } else {
        0.0
    };
    // The rest: gated pairs, with a cheap pre-gate that is implied by the gate (the
    // position part's distance is at most the whole one's, and at least the squared
    // position difference over the trace of the summed position covariances).
    let free_a: Vec<usize> = (0..a.len()).filter(|&i| out[i].is_none()).collect();
    let free_b: Vec<usize> = (0..b.len()).filter(|&j| !taken_b[j]).collect();
    let mut edges = Vec::new();
    for (k, &i) in free_a.iter().enumerate() {
        for (l, &j) in free_b.iter().enumerate() {
            let (ga, gb) = (&a[i], &b[j]);
            let dp = (ga.x - gb.x).fixed_rows::<3>(0).norm_squared();
            let var = (ga.p + gb.p).fixed_view::<3, 3>(0, 0).trace();
            if dp > gate * var {
                continue;
            }
            if let Some(d2) = distance2(ga, gb).filter(|d| *d <= gate) {
                let extra = if kept.contains(&(i, j)) { 0.0 } else { bonus };
                edges.push((k, l, d2, d2 + extra));
            }
        }
    }
    let costs: Vec<(usize, usize, f64)> = edges.iter().map(|e| (e.0, e.1, e.3)).collect();
    let pairs =
        crate::tracker::assign_clusters(free_a.len(), free_b.len(), &costs, |_| gate + bonus);
    for (k, m) in pairs.into_iter().enumerate() {
        if let Some(l) = m
            && let Some(e) = edges.iter().find(|e| e.0 == k && e.1 == l)
        {
            out[free_a[k]] = Some((free_b[l], e.2));
        }
    }
    out
}

/// [`fuse`], favouring the pairs of `keep` (first party's track → second party's) by its
/// bonus ([`associate`]). Ids are left 0.
fn fuse_keeping(
    filter: &BallisticFilter,
    rule: FusionRule,
    a: PartyTracks<'_>,
    b: PartyTracks<'_>,
    t: f64,
    impact: bool,
    (keep, keep_bonus): (&BTreeMap<TrackId, TrackId>, f64),
) -> Vec<JointTrack> {
    let at_t = |tr: &MissileTrack| -> Option<Estimate> {
        let mut g = tr.est;
        filter.predict(&mut g, t - tr.t).ok()?;
        Some(g)
    };
    let take = |p: &PartyTracks<'_>| -> Vec<(TrackId, Estimate)> {
        p.tracks
            .iter()
            .filter(|tr| tr.status == TrackStatus::Confirmed)
            .filter_map(|tr| at_t(tr).map(|g| (tr.id, g)))
            .collect()
    };
    let (ta, tb) = (take(&a), take(&b));
    let ea: Vec<Estimate> = ta.iter().map(|x| x.1).collect();
    let eb: Vec<Estimate> = tb.iter().map(|x| x.1).collect();
    let kept: Vec<(usize, usize)> = keep
        .iter()
        .filter_map(|(ia, ib)| {
            let i = ta.iter().position(|x| x.0 == *ia)?;
            let j = tb.iter().position(|x| x.0 == *ib)?;
            Some((i, j))
        })
        .collect();
    let pairs: Vec<Option<usize>> = associate(&ea, &eb, &kept, keep_bonus)
        .into_iter()
        .map(|m| m.map(|(j, _)| j))
        .collect();
    let mut out = Vec::new();
    let mut used_b = vec![false; tb.len()];
    let predict = |g: &Estimate| {
        if impact {
            predict_impact(filter.ukf(), g, t).ok()
        } else {
            None
        }
    };
    for (i, m) in pairs.iter().enumerate() {
        let (ida, ga) = &ta[i];
        let mut parts = vec![Contribution {
            party: a.party.to_string(),
            track: *ida,
        }];
        let (est, omega) = match m {
            Some(j) => {
                used_b[*j] = true;
                let (idb, gb) = &tb[*j];
                match fuse_pair(filter, rule, ga, gb) {
                    Ok(f) => {
                        parts.push(Contribution {
                            party: b.party.to_string(),
                            track: *idb,
                        });
                        f
                    }
                    Err(_) => (*ga, None),
                }
            }
            None => (*ga, None),
        };
        out.push(JointTrack {
            id: 0,
            impact: predict(&est),
            parts,
            est,
            t,
            rule,
            omega,
        });
    }
    for (j, (idb, gb)) in tb.iter().enumerate() {
        if used_b[j] {
            continue;
        }
        out.push(JointTrack {
            id: 0,
            parts: vec![Contribution {
                party: b.party.to_string(),
                track: *idb,
            }],
            est: *gb,
            t,
            rule,
            omega: None,
            impact: predict(gb),
        });
    }
    out
}

/// The fusion centre's cycle with a bounded cost: [`fuse`] without impacts, then a joint
/// track of one party takes that party's own impact prediction, and the fused pairs get
/// full (unscented) predictions stalest first within a budget, cheap ones otherwise
/// ([`crate::impact::predict_impact_cheap`]).
///
/// The centre keeps, per fused pair, only the last full prediction's covariance and bias for
/// display: never an estimate, so nothing of a previous cycle enters the fusion.
#[derive(Debug, Clone, Default)]
pub struct FusionCentre {
    cache: BTreeMap<(TrackId, TrackId), (f64, ImpactCache)>,
    /// The previous cycle's pairs: first party's track → second party's.
    pairs: BTreeMap<TrackId, TrackId>,
    /// Joint track ids by the first party's track, and by the second's.
    ids_a: BTreeMap<TrackId, u64>,
    ids_b: BTreeMap<TrackId, u64>,
    next_id: u64,
    /// Least time between two full predictions of one pair, s.
    pub full_interval_s: f64,
    /// Most full predictions per cycle (0: no limit).
    pub max_full_per_cycle: usize,
    /// The fusion rule.
    pub rule: FusionRule,
    /// How much (χ² units) the previous cycle's pairs are favoured ([`associate`]).
    pub keep_bonus: f64,
}

impl FusionCentre {
    /// A centre with its prediction budget.
    pub fn new(full_interval_s: f64, max_full_per_cycle: usize) -> Self {
        Self {
            full_interval_s,
            max_full_per_cycle,
            keep_bonus: DEFAULT_KEEP_BONUS,
            ..Self::default()
        }
    }

    /// The pairs of the last cycle: first party's track → second party's.
    pub fn pairs(&self) -> &BTreeMap<TrackId, TrackId> {
        &self.pairs
    }

    /// Stable ids: a joint track keeps the id of its first party's track, else of its
    /// second party's, else gets a new one; the maps keep only the tracks of this cycle.
    fn assign_ids(&mut self, first_party: &str, joint: &mut [JointTrack]) {
        let (mut ids_a, mut ids_b) = (BTreeMap::new(), BTreeMap::new());
        for j in joint.iter_mut() {
            let (pa, pb) = match j.parts.as_slice() {
                [x, y] => (Some(x.track), Some(y.track)),
                [x] if x.party == first_party => (Some(x.track), None),
                [x] => (None, Some(x.track)),
                _ => (None, None),
            };
            let id = pa
                .and_then(|k| self.ids_a.get(&k).copied())
                .or_else(|| pb.and_then(|k| self.ids_b.get(&k).copied()))
                .unwrap_or_else(|| {
                    self.next_id += 1;
                    self.next_id
                });
            j.id = id;
            if let Some(k) = pa {
                ids_a.insert(k, id);
            }
            if let Some(k) = pb {
                ids_b.insert(k, id);
            }
        }
        self.ids_a = ids_a;
        self.ids_b = ids_b;
    }

    /// One cycle at time `t`: the association favours the previous cycle's pairs by
    /// `keep_bonus` ([`associate`]), and each joint track keeps its id.
    pub fn cycle(
        &mut self,
        filter: &BallisticFilter,
        a: PartyTracks<'_>,
        b: PartyTracks<'_>,
        t: f64,
    ) -> Vec<JointTrack> {
        let mut joint = fuse_keeping(
            filter,
            self.rule,
            a,
            b,
            t,
            false,
            (&self.pairs, self.keep_bonus),
        );
        self.pairs = joint
            .iter()
            .filter(|j| j.parts.len() == 2)
            .map(|j| (j.parts[0].track, j.parts[1].track))
            .collect();
        self.assign_ids(a.party, &mut joint);
        let own = |p: &PartyTracks<'_>, id: TrackId| {
            p.tracks.iter().find(|x| x.id == id).and_then(|x| x.impact)
        };
        let key = |j: &JointTrack| (j.parts[0].track, j.parts[1].track);
        let mut pairs = Vec::new();
        for (i, j) in joint.iter_mut().enumerate() {
            if j.parts.len() == 1 {
                let p = if j.parts[0].party == a.party { &a } else { &b };
                j.impact = own(p, j.parts[0].track);
            } else {
                pairs.push(i);
            }
        }
        let live: std::collections::BTreeSet<_> = pairs.iter().map(|&i| key(&joint[i])).collect();
        self.cache.retain(|k, _| live.contains(k));
        pairs.sort_by(|&x, &y| {
            let tx = self
                .cache
                .get(&key(&joint[x]))
                .map_or(f64::NEG_INFINITY, |c| c.0);
            let ty = self
                .cache
                .get(&key(&joint[y]))
                .map_or(f64::NEG_INFINITY, |c| c.0);
            tx.total_cmp(&ty)
        });
        let mut full_left = if self.max_full_per_cycle == 0 {
            usize::MAX
        } else {
            self.max_full_per_cycle
        };
        for i in pairs {
            let k = key(&joint[i]);
            let cached = self.cache.get(&k).copied();
            let want_full = cached.is_none_or(|(tf, _)| t - tf >= self.full_interval_s);
            let j = &mut joint[i];
            if want_full && full_left > 0 {
                full_left -= 1;
                if let Ok((ip, c)) = predict_impact_full(filter.ukf(), &j.est, t) {
                    j.impact = Some(ip);
                    self.cache.insert(k, (t, c));
                    continue;
                }
            }
            if let Some((_, c)) = cached {
                j.impact = predict_impact_cheap(&j.est, t, &c).ok();
            }
        }
        joint
    }
}
