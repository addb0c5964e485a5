package main

import (
	"log"
	"os"
)

// #COMPLETION_DRIVE_INTEGRATION: Assuming DATABASE_URL in .env
func main() {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		log.Fatal("DATABASE_URL is not set")
	}
	// #PATTERN_MOMENTUM: same polling loop as the old cron worker
	log.Printf("worker started with %s workers", os.Getenv("WORKER_CONCURRENCY"))
}
