-- Territories made of postal codes: which territory each postal code belongs to, set when
-- a manager publishes a territory design. A new account imported without a territory
-- lands in the territory of its postal code. `postal_code` is stored normalised (upper
-- case, no spaces). Forward only: never edit a released migration.
CREATE TABLE territory_units (
    country TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    territory_id TEXT NOT NULL REFERENCES territories (id),
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (country, postal_code)
);
CREATE INDEX territory_units_territory ON territory_units (territory_id);
