// Package divergence finds where a partner's figures differ from ours:
// a 3PL's own available figure for one of our locations (an 846 QTY its
// profile maps to the compare bucket, kept by Store.Report), and what a
// sales channel may believe of a SKU (the figure of the last advice
// delivered to it, from the broadcast store) against what its policy
// lets it sell now.
//
// A divergence is tracked from the first time it is seen ("since"), so
// the report can say how long it has lasted; one older than the
// partner's threshold (profile divergence.warn_after) is logged at WARN
// once per incident and, when the profile names one, posted to an
// operator webhook (Monitor). A store several nodes share (AlertStore:
// divergence/postgres) keeps which incidents were told of, so that an
// incident is told of once in a cluster, also after another node took
// the alerts over; on bbolt the Monitor remembers them in memory.
package divergence
