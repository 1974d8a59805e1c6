use async_trait::async_trait;

use crate::model::{Agent, AgentQuery, AgentUpdate, NewAgent, Role};
use crate::{Error, Operation, Provider, RecordStream, Result, Secret};

/// Agent on- and off-boarding.
///
/// Every method has a default that fails with [`Error::Unsupported`] without
/// I/O; a vendor overrides what it offers and lists it in its capabilities.
/// Agents are addressed by their login email.
#[async_trait]
pub trait AgentAdmin: Provider {
    /// Every agent matching `query`, all pages, as a stream.
    fn list_agents(&self, query: &AgentQuery) -> Result<RecordStream<Agent>> {
        let _ = query;
        Err(Error::unsupported(self.vendor(), Operation::ListAgents))
    }

    /// Creates an agent; returns it when the vendor echoes the record.
    async fn add_agent(&self, agent: &NewAgent) -> Result<Option<Agent>> {
        let _ = agent;
        Err(Error::unsupported(self.vendor(), Operation::AddAgent))
    }

    /// Changes an agent.
    async fn update_agent(&self, update: &AgentUpdate) -> Result<()> {
        let _ = update;
        Err(Error::unsupported(self.vendor(), Operation::UpdateAgent))
    }

    /// Deletes an agent.
    async fn delete_agent(&self, email: &str) -> Result<()> {
        let _ = email;
        Err(Error::unsupported(self.vendor(), Operation::DeleteAgent))
    }

    /// Lets a disabled agent log in again.
    async fn enable_agent(&self, email: &str) -> Result<()> {
        let _ = email;
        Err(Error::unsupported(self.vendor(), Operation::EnableAgent))
    }

    /// Stops an agent from logging in.
    async fn disable_agent(&self, email: &str) -> Result<()> {
        let _ = email;
        Err(Error::unsupported(self.vendor(), Operation::DisableAgent))
    }

    /// Sets an agent's password.
    async fn set_agent_password(&self, email: &str, password: &Secret) -> Result<()> {
        let _ = (email, password);
        Err(Error::unsupported(
            self.vendor(),
            Operation::SetAgentPassword,
        ))
    }

    /// The roles agents can hold.
    async fn list_roles(&self) -> Result<Vec<Role>> {
        Err(Error::unsupported(self.vendor(), Operation::ListRoles))
    }
}
