package record

import "bytes"

// ContentTypeJSON is the Content-Type of an object that holds an
// EventBridge event.
const ContentTypeJSON = "application/json"

// openEventBridge checks an EventBridge event, as a rule delivers it to a
// queue:
//
//	{"version":"0","id":"...","detail-type":"...","source":"...","account":"...",
//	 "time":"2026-12-02T03:04:05Z","region":"...","resources":[],"detail":{...}}
//
// The message's body stays the event as received; its ID is the event id
// and its send time the event's time. Its attributes stay the record's
// (EventBridge sets none).
func openEventBridge(m Message) (Message, error) {
	const e = EnvelopeEventBridge
	fields, err := jsonFields(e, m.Body)
	if err != nil {
		return m, err
	}
	if err := need(e, fields, "version", "id", "detail-type", "source", "time", "detail"); err != nil {
		return m, err
	}
	s, err := stringFields(e, fields, "version", "id", "detail-type", "source", "time")
	if err != nil {
		return m, err
	}
	if d := bytes.TrimSpace(fields["detail"]); len(d) == 0 || d[0] != '{' {
		return m, envelopeErr(e, "detail is not a JSON object")
	}
	if err := envelopeID(e, "id", s["id"]); err != nil {
		return m, err
	}
	sent, err := envelopeTime(e, "time", s["time"])
	if err != nil {
		return m, err
	}
	m.ID = s["id"]
	m.SentTimestamp = sent
	return m, nil
}
