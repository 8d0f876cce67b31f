-- The demo tables the Compose stack mirrors (the Vercel Postgres seed: users, threads, messages; the relations
-- are not declared as foreign keys, the pipeline is told them with --relation). Run once by the postgres image
-- on an empty data directory. Replace with your own schema, or point the pipeline at your database instead.
CREATE TABLE users (id serial PRIMARY KEY, clerk_user_id varchar(255) NOT NULL, email varchar(255) NOT NULL,
  image varchar(255), credits numeric(10,2) NOT NULL DEFAULT 0, "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX users_clerk_user_id_key ON users (clerk_user_id);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TABLE threads (id serial PRIMARY KEY, user_id int4 NOT NULL, clerk_user_id varchar(255) NOT NULL,
  metadata jsonb, "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_threads_user_id ON threads (user_id);
CREATE TABLE messages (id serial PRIMARY KEY, thread_id int4 NOT NULL, clerk_user_id varchar(255) NOT NULL,
  role varchar(50) NOT NULL, content text NOT NULL, created_at timestamptz DEFAULT CURRENT_TIMESTAMP,
  tool_invocations jsonb, finish_reason varchar(50), total_tokens int4, prompt_tokens int4,
  completion_tokens int4, model_id varchar(255), cost_in_cents numeric(10,2));
CREATE INDEX idx_messages_thread_id ON messages (thread_id);
INSERT INTO users (clerk_user_id, email) VALUES ('user_1', 'ada@example.com'), ('user_2', 'bob@example.com');
INSERT INTO threads (user_id, clerk_user_id) VALUES (1, 'user_1'), (2, 'user_2');
INSERT INTO messages (thread_id, clerk_user_id, role, content)
  VALUES (1, 'user_1', 'user', 'hello'), (1, 'user_1', 'assistant', 'hi'), (2, 'user_2', 'user', 'hey');
