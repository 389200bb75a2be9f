-- Telegram alerts (chalicelib/alerts): what was said to the staff's chats, so that nothing is said twice.
--
-- alarm_state_changes: each CloudWatch alarm state change the SNS handler took, by the alarm's own key
-- (its name, the new state and when it changed). SNS may deliver one notification twice, even at once:
-- the insert that finds the key taken is the duplicate, and sends nothing.
CREATE TABLE alarm_state_changes (
    alarm_name  text NOT NULL,
    state       text NOT NULL,
    changed_at  timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alarm_name, state, changed_at)
);

-- alert_incidents: one per alarm that went to ALARM, with the message it sent to each chat
-- ({"<chat id>": <message id>}), which its return to OK edits.
CREATE TABLE alert_incidents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_name   text NOT NULL,
    started_at   timestamptz NOT NULL,
    recovered_at timestamptz,
    messages     jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX alert_incidents_open_idx ON alert_incidents (alarm_name) WHERE recovered_at IS NULL;

-- digests_sent: the morning digest of each shop-local day, claimed before it is sent (the schedule
-- looks every 15 minutes; two invocations at once send one).
CREATE TABLE digests_sent (
    day     date PRIMARY KEY,
    sent_at timestamptz NOT NULL DEFAULT now(),
    chats   integer NOT NULL DEFAULT 0  -- how many chats took it
);
