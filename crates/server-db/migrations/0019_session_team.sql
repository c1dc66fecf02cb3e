-- A director or admin may look at one team (a manager's) in place of everyone under
-- them: the choice belongs to the session, so every page and export of that browser
-- narrows alike. Forward only: never edit a released migration.
ALTER TABLE sessions ADD COLUMN team_id TEXT;
