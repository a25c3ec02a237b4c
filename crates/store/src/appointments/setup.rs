//! Appointment types and resources: what admins set up before visits can
//! be booked. Each is stored as its checked definition (JSON) under a
//! unique name.

use crate::rows::{get, time};
use crate::tx::{args, bind};
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use tend_domain::Invalid;
use tend_domain::appointment::{AppointmentTypeDefinition, ResourceDefinition};
use tend_domain::ids::{AppointmentTypeId, ResourceId};
use utoipa::ToSchema;

/// Most appointment types, and most resources, one desk holds.
pub const MAX_SETUPS: i64 = 500;

/// A stored appointment type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentType {
    pub id: AppointmentTypeId,
    #[serde(flatten)]
    pub definition: AppointmentTypeDefinition,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stored resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resource {
    pub id: ResourceId,
    #[serde(flatten)]
    pub definition: ResourceDefinition,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One of the two tables, with what it is called.
struct Table {
    name: &'static str,
    noun: &'static str,
}

const TYPES: Table = Table {
    name: "appointment_types",
    noun: "appointment type",
};
const RESOURCES: Table = Table {
    name: "resources",
    noun: "resource",
};

/// A stored definition: `(id, definition, created_at, updated_at)`.
type Stored<T> = (i64, T, Timestamp, Timestamp);

fn stored<T: DeserializeOwned>(row: &AnyRow) -> Result<Stored<T>> {
    let definition = serde_json::from_str(&get::<String>(row, "definition")?)
        .map_err(|e| StoreError::Corrupt(format!("definition: {e}")))?;
    Ok((
        get(row, "id")?,
        definition,
        time(row, "created_at")?,
        time(row, "updated_at")?,
    ))
}

impl Table {
    async fn all<T: DeserializeOwned>(&self, store: &Store) -> Result<Vec<Stored<T>>> {
        let sql = format!(
            "SELECT id, definition, created_at, updated_at FROM {} ORDER BY name, id LIMIT {MAX_SETUPS}",
            self.name
        );
        bind(&sql, args![])
            .fetch_all(&store.reader)
            .await?
            .iter()
            .map(stored)
            .collect()
    }

    async fn one<T: DeserializeOwned>(&self, store: &Store, id: i64) -> Result<Stored<T>> {
        let sql = format!(
            "SELECT id, definition, created_at, updated_at FROM {} WHERE id = $1",
            self.name
        );
        let row = bind(&sql, args![id])
            .fetch_optional(&store.reader)
            .await?
            .ok_or(StoreError::NotFound(self.noun))?;
        stored(&row)
    }

    /// Inserts a definition named `name` (or replaces row `id`'s), answering its id.
    async fn save<T: Serialize>(
        &self,
        store: &Store,
        id: Option<i64>,
        name: String,
        definition: &T,
    ) -> Result<i64> {
        let json =
            serde_json::to_string(definition).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (table, noun) = (self.name, self.noun);
        let taken_name = name.clone();
        let saved = store
            .write(move |tx| {
                Box::pin(async move {
                    let at = crate::time::micros(now());
                    match id {
                        Some(id) => {
                            let changed = tx
                                .execute(
                                    &format!(
                                        "UPDATE {table} SET name = $1, definition = $2, \
                                         updated_at = $3 WHERE id = $4"
                                    ),
                                    args![name, json, at, id],
                                )
                                .await?;
                            if changed == 0 {
                                return Err(StoreError::NotFound(noun));
                            }
                            Ok(id)
                        }
                        None => {
                            let count = tx
                                .fetch_one(&format!("SELECT COUNT(*) AS n FROM {table}"), args![])
                                .await?;
                            if count.int("n")? >= MAX_SETUPS {
                                return Err(StoreError::State(format!(
                                    "at most {MAX_SETUPS} of each: remove one first"
                                )));
                            }
                            let row = tx
                                .fetch_one(
                                    &format!(
                                        "INSERT INTO {table} (name, definition, created_at, \
                                         updated_at) VALUES ($1, $2, $3, $3) RETURNING id"
                                    ),
                                    args![name, json, at],
                                )
                                .await?;
                            row.int("id")
                        }
                    }
                })
            })
            .await;
        saved.map_err(|e| {
            e.taken("name", || {
                format!("a {noun} named \u{201c}{taken_name}\u{201d} already exists")
            })
        })
    }
}

impl Store {
    /// Every appointment type, by name.
    pub async fn appointment_types(&self) -> Result<Vec<AppointmentType>> {
        Ok(TYPES.all(self).await?.into_iter().map(kind).collect())
    }

    /// One appointment type.
    pub async fn appointment_type(&self, id: AppointmentTypeId) -> Result<AppointmentType> {
        TYPES.one(self, id.0).await.map(kind)
    }

    /// Creates an appointment type (`id` `None`) or replaces one, from a
    /// checked definition whose team exists.
    pub async fn save_appointment_type(
        &self,
        id: Option<AppointmentTypeId>,
        definition: AppointmentTypeDefinition,
    ) -> Result<AppointmentType> {
        if let Some(team) = definition.team_id {
            self.exists("team_id", "team", self.team(team).await)?;
        }
        let name = definition.name.clone();
        let id = TYPES.save(self, id.map(|i| i.0), name, &definition).await?;
        self.appointment_type(AppointmentTypeId(id)).await
    }

    /// Every resource, by name.
    pub async fn resources(&self) -> Result<Vec<Resource>> {
        Ok(RESOURCES
            .all(self)
            .await?
            .into_iter()
            .map(resource)
            .collect())
    }

    /// One resource.
    pub async fn resource(&self, id: ResourceId) -> Result<Resource> {
        RESOURCES.one(self, id.0).await.map(resource)
    }

    /// Creates a resource (`id` `None`) or replaces one, from a checked
    /// definition whose agent, team and calendar exist.
    pub async fn save_resource(
        &self,
        id: Option<ResourceId>,
        definition: ResourceDefinition,
    ) -> Result<Resource> {
        if let Some(agent) = definition.agent_id {
            self.exists("agent_id", "agent", self.agent(agent).await)?;
        }
        if let Some(team) = definition.team_id {
            self.exists("team_id", "team", self.team(team).await)?;
        }
        if let Some(calendar) = definition.calendar_id {
            self.exists("calendar_id", "calendar", self.calendar(calendar).await)?;
        }
        let name = definition.name.clone();
        let id = RESOURCES
            .save(self, id.map(|i| i.0), name, &definition)
            .await?;
        self.resource(ResourceId(id)).await
    }

    /// A reference named by `field` must exist: its lookup's not-found
    /// becomes an error naming the field.
    fn exists<T>(&self, field: &str, noun: &str, lookup: Result<T>) -> Result<()> {
        match lookup {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => {
                Err(Invalid::new(field, format!("no {noun} with that id")).into())
            }
            Err(e) => Err(e),
        }
    }
}

fn kind(
    (id, definition, created_at, updated_at): Stored<AppointmentTypeDefinition>,
) -> AppointmentType {
    AppointmentType {
        id: AppointmentTypeId(id),
        definition,
        created_at,
        updated_at,
    }
}

fn resource((id, definition, created_at, updated_at): Stored<ResourceDefinition>) -> Resource {
    Resource {
        id: ResourceId(id),
        definition,
        created_at,
        updated_at,
    }
}
