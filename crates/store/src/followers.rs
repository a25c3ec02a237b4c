//! Agents following cases: a per-agent bookmark (the "Following" view),
//! not a case event, since following changes nothing for the customer.

use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store};
use sqlx::Row;
use tend_domain::ids::{AgentId, CaseId};

impl Store {
    /// Makes `agent` follow case `case_id` (`follow`) or stop following it;
    /// doing what is already so changes nothing.
    pub async fn follow_case(&self, case_id: CaseId, agent: AgentId, follow: bool) -> Result<()> {
        self.case(case_id).await?;
        let at = micros(self.clock().now());
        self.write(move |tx| {
            Box::pin(async move {
                if follow {
                    tx.execute(
                        "INSERT INTO case_followers (agent_id, case_id, created_at) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        args![agent.0, case_id.0, at],
                    )
                    .await?;
                } else {
                    tx.execute(
                        "DELETE FROM case_followers WHERE agent_id = $1 AND case_id = $2",
                        args![agent.0, case_id.0],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Whether `agent` follows case `case_id`.
    pub async fn follows(&self, case_id: CaseId, agent: AgentId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM case_followers WHERE agent_id = $1 AND case_id = $2",
        )
        .bind(agent.0)
        .bind(case_id.0)
        .fetch_one(&self.reader)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }
}
