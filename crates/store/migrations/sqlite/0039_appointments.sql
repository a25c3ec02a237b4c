-- Appointments: visits booked in windows the customer picks (issue 17).
-- Keep in step with the other backend's 0039_appointments.sql.
--
-- A kind of visit; `definition` is the JSON of
-- tend_domain::appointment::AppointmentTypeDefinition (its name also in
-- `name`, which keeps names unique).
CREATE TABLE appointment_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Someone whose time visits are booked in; `definition` is the JSON of
-- tend_domain::appointment::ResourceDefinition (name as for types). A booking
-- locks the rows of the resources it may go to (PostgreSQL), so two
-- bookings cannot both take the last place in a window.
CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A visit on a case: where it stands now. The case's event log
-- (appointment_offered, appointment_booked, ...) is its history.
-- `sequence` counts the changes sent to the customer's calendar (the
-- iCalendar SEQUENCE); `arrival_at` is the arrival time given when the
-- technician set off; `reminded_at` when the day-before reminder went.
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    type_id BIGINT NOT NULL REFERENCES appointment_types(id),
    status TEXT NOT NULL,
    resource_id BIGINT REFERENCES resources(id),
    starts_at BIGINT,
    ends_at BIGINT,
    address TEXT,
    arrival_at BIGINT,
    sequence BIGINT NOT NULL DEFAULT 0,
    reminded_at BIGINT,
    created_by BIGINT REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appointments_by_case ON appointments (case_id, id);
CREATE INDEX appointments_by_resource ON appointments (resource_id, starts_at);
CREATE INDEX appointments_by_start ON appointments (status, starts_at);
