CREATE TABLE "event_marks" (
	"namespace" text NOT NULL,
	"event_id" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_marks_namespace_event_id_pk" PRIMARY KEY("namespace","event_id")
);
