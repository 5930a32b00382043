"""The build pipeline: plan the runs, execute them with papermill, render and publish the site."""
