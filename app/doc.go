// Package app holds hybridcon's domain: the types of a hybrid conference
// (events, sessions, showcase slots, achievements, attendees, check-ins,
// announcements, users and tokens), the rules over them (state machines,
// expected times, tickets) and the use cases that change them.
//
// It imports no web framework, no ORM and no broker. It declares the small
// interfaces it needs — Store for persistence, Publisher for live fan-out —
// and the storage and realtime packages implement them.
package app
